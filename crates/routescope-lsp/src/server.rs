//! The message loop: initialize, then requests and notifications until shutdown. Notifications
//! that arrive together are applied together and analysed once; a request is answered from an
//! analysis of the workspace as it is at that moment.

use std::collections::HashMap;
use std::error::Error;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeConfiguration, DidChangeTextDocument, DidChangeWatchedFiles,
    DidChangeWorkspaceFolders, DidCloseTextDocument, DidOpenTextDocument, Notification as _,
    PublishDiagnostics, ShowMessage,
};
use lsp_types::request::{
    CodeActionRequest, DocumentSymbolRequest, GotoDefinition, HoverRequest, Request as _,
};
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionProviderCapability, DocumentSymbolResponse,
    InitializeParams, InitializeResult, MessageType, OneOf, ServerCapabilities, ServerInfo,
    ShowMessageParams, TextDocumentSyncCapability, TextDocumentSyncKind, Url,
};
use serde_json::Value;

use crate::actions::{code_actions, fix_all_kind};
use crate::diagnostics::{by_file, changes};
use crate::navigation::{definition, hover, symbols};
use crate::position::Encoding;
use crate::settings::Settings;
use crate::workspace::Workspace;

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

/// Serves one client on `connection` until it shuts down.
pub fn serve(connection: &Connection) -> Result<()> {
    let (id, params) = connection.initialize_start()?;
    let params: InitializeParams = serde_json::from_value(params)?;
    let encoding = Encoding::negotiate(
        params
            .capabilities
            .general
            .as_ref()
            .and_then(|general| general.position_encodings.as_deref()),
    );
    let mut server = Server {
        connection,
        workspace: Workspace::new(encoding, Settings::default()),
        published: HashMap::new(),
    };
    if let Some(options) = &params.initialization_options {
        server.apply_settings(options);
    }
    let result = InitializeResult {
        capabilities: capabilities(encoding),
        server_info: Some(ServerInfo {
            name: "routescope".to_string(),
            version: Some(env!("CARGO_PKG_VERSION").to_string()),
        }),
    };
    connection.initialize_finish(id, serde_json::to_value(result)?)?;
    #[allow(deprecated)] // `root_uri` is what clients without workspace folders send.
    let folders: Vec<Url> = match params.workspace_folders {
        Some(folders) => folders.into_iter().map(|folder| folder.uri).collect(),
        None => params.root_uri.into_iter().collect(),
    };
    for folder in folders {
        if let Ok(path) = folder.to_file_path() {
            server.workspace.add_folder(&path);
        }
    }
    server.publish()?;
    server.run()
}

fn capabilities(encoding: Encoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(encoding.kind()),
        text_document_sync: Some(TextDocumentSyncCapability::Kind(
            TextDocumentSyncKind::INCREMENTAL,
        )),
        hover_provider: Some(lsp_types::HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX, fix_all_kind()]),
            ..CodeActionOptions::default()
        })),
        workspace: Some(lsp_types::WorkspaceServerCapabilities {
            workspace_folders: Some(lsp_types::WorkspaceFoldersServerCapabilities {
                supported: Some(true),
                change_notifications: Some(OneOf::Left(true)),
            }),
            file_operations: None,
        }),
        ..ServerCapabilities::default()
    }
}

struct Server<'c> {
    connection: &'c Connection,
    workspace: Workspace,
    /// What each file's diagnostics were when last published.
    published: HashMap<Url, Vec<lsp_types::Diagnostic>>,
}

impl Server<'_> {
    fn run(&mut self) -> Result<()> {
        while let Ok(message) = self.connection.receiver.recv() {
            if !self.handle(message)? {
                return Ok(());
            }
            // Apply what else is waiting before analysing: a burst of keystrokes is analysed once.
            while let Ok(message) = self.connection.receiver.try_recv() {
                if !self.handle(message)? {
                    return Ok(());
                }
            }
            if self.workspace.is_dirty() {
                self.publish()?;
            }
        }
        Ok(())
    }

    /// Handles one message; `false` once the client has shut the server down.
    fn handle(&mut self, message: Message) -> Result<bool> {
        match message {
            Message::Request(request) => {
                if self.connection.handle_shutdown(&request)? {
                    return Ok(false);
                }
                // Diagnostics of the edits before a request come before its answer.
                if self.workspace.is_dirty() {
                    self.publish()?;
                }
                let response = self.answer(request);
                self.connection.sender.send(response.into())?;
            }
            Message::Notification(notification) => self.notice(notification),
            Message::Response(_) => {}
        }
        Ok(true)
    }

    fn answer(&mut self, request: Request) -> Response {
        let id = request.id.clone();
        let result = match request.method.as_str() {
            HoverRequest::METHOD => self.on::<HoverRequest>(request, |analysed, params| {
                let at = params.text_document_position_params;
                let file = analysed.file(&at.text_document.uri)?;
                hover(analysed, file, at.position)
            }),
            GotoDefinition::METHOD => self.on::<GotoDefinition>(request, |analysed, params| {
                let at = params.text_document_position_params;
                let file = analysed.file(&at.text_document.uri)?;
                definition(analysed, file, at.position)
            }),
            DocumentSymbolRequest::METHOD => {
                self.on::<DocumentSymbolRequest>(request, |analysed, params| {
                    let file = analysed.file(&params.text_document.uri)?;
                    Some(DocumentSymbolResponse::Nested(symbols(analysed, file)))
                })
            }
            CodeActionRequest::METHOD => {
                let settings = self.workspace.settings.clone();
                self.on::<CodeActionRequest>(request, |analysed, params| {
                    let file = analysed.file(&params.text_document.uri)?;
                    let only = params.context.only.as_deref();
                    Some(code_actions(analysed, &settings, file, params.range, only))
                })
            }
            method => Err((
                ErrorCode::MethodNotFound,
                format!("unknown request {method}"),
            )),
        };
        match result {
            Ok(value) => Response::new_ok(id, value),
            Err((code, message)) => Response::new_err(id, code as i32, message),
        }
    }

    /// Reads a request's parameters and answers it from the current analysis.
    fn on<R: lsp_types::request::Request>(
        &mut self,
        request: Request,
        answer: impl FnOnce(&crate::workspace::Analysed, R::Params) -> R::Result,
    ) -> std::result::Result<Value, (ErrorCode, String)> {
        let params: R::Params = serde_json::from_value(request.params)
            .map_err(|error| (ErrorCode::InvalidParams, error.to_string()))?;
        let result = answer(self.workspace.analysed(), params);
        Ok(serde_json::to_value(result).expect("LSP results serialise"))
    }

    fn notice(&mut self, notification: Notification) {
        let params = notification.params;
        match notification.method.as_str() {
            DidOpenTextDocument::METHOD => {
                if let Ok(params) =
                    serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(params)
                {
                    self.workspace
                        .open(params.text_document.uri, params.text_document.text);
                }
            }
            DidChangeTextDocument::METHOD => {
                if let Ok(params) =
                    serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(params)
                {
                    for change in params.content_changes {
                        self.workspace.change(
                            &params.text_document.uri,
                            change.range,
                            &change.text,
                        );
                    }
                }
            }
            DidCloseTextDocument::METHOD => {
                if let Ok(params) =
                    serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(params)
                {
                    self.workspace.close(&params.text_document.uri);
                }
            }
            DidChangeWatchedFiles::METHOD => {
                if let Ok(params) =
                    serde_json::from_value::<lsp_types::DidChangeWatchedFilesParams>(params)
                {
                    for change in params.changes {
                        if let Ok(path) = change.uri.to_file_path() {
                            self.workspace.read_from_disk(&path);
                        }
                    }
                }
            }
            DidChangeWorkspaceFolders::METHOD => {
                if let Ok(params) =
                    serde_json::from_value::<lsp_types::DidChangeWorkspaceFoldersParams>(params)
                {
                    let paths = |folders: Vec<lsp_types::WorkspaceFolder>| {
                        folders
                            .into_iter()
                            .filter_map(|f| f.uri.to_file_path().ok())
                    };
                    for path in paths(params.event.removed) {
                        self.workspace.remove_folder(&path);
                    }
                    for path in paths(params.event.added) {
                        self.workspace.add_folder(&path);
                    }
                }
            }
            DidChangeConfiguration::METHOD => {
                if let Ok(params) =
                    serde_json::from_value::<lsp_types::DidChangeConfigurationParams>(params)
                {
                    self.apply_settings(&params.settings);
                }
            }
            _ => {}
        }
    }

    fn apply_settings(&mut self, value: &Value) {
        match self.workspace.settings.updated(value) {
            Ok(settings) => self.workspace.set_settings(settings),
            Err(message) => self.notify::<ShowMessage>(ShowMessageParams {
                typ: MessageType::ERROR,
                message: format!("routescope: {message}"),
            }),
        }
    }

    /// Analyses the workspace and publishes every file whose diagnostics changed.
    fn publish(&mut self) -> Result<()> {
        let settings = self.workspace.settings.clone();
        let now = by_file(self.workspace.analysed(), &settings);
        for params in changes(&self.published, &now) {
            self.notify::<PublishDiagnostics>(params);
        }
        self.published = now;
        Ok(())
    }

    fn notify<N: lsp_types::notification::Notification>(&self, params: N::Params) {
        let notification = Notification::new(N::METHOD.to_string(), params);
        // A client that went away ends the loop at the next receive.
        let _ = self.connection.sender.send(notification.into());
    }
}
