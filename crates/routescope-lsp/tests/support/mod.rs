//! A minimal LSP client for the protocol tests: drives the server in-process over an
//! in-memory connection, with JSON-RPC messages as a real client writes them.

#![allow(dead_code)] // Each test binary uses part of it.

use std::collections::VecDeque;
use std::path::Path;
use std::thread::JoinHandle;
use std::time::Duration;

use lsp_server::{Message, Notification, Request, RequestId};
use routescope_lsp::Connection;
use serde_json::{Value, json};

const PATIENCE: Duration = Duration::from_secs(30);

pub struct Client {
    connection: Connection,
    server: Option<JoinHandle<()>>,
    next_id: i32,
    /// Notifications received while waiting for a response.
    pending: VecDeque<Notification>,
    pub initialize_result: Value,
}

pub fn url(path: &Path) -> String {
    lsp_types::Url::from_file_path(path).unwrap().to_string()
}

impl Client {
    /// Starts a server and initializes it with `capabilities`, `folder` as the workspace and
    /// `options` as initializationOptions.
    pub fn start(capabilities: Value, folder: Option<&Path>, options: Value) -> Client {
        let (server_side, connection) = Connection::memory();
        let server = std::thread::spawn(move || {
            routescope_lsp::serve(&server_side).expect("the server ends cleanly");
        });
        let mut client = Client {
            connection,
            server: Some(server),
            next_id: 0,
            pending: VecDeque::new(),
            initialize_result: Value::Null,
        };
        let folders = folder.map(|folder| json!([{"uri": url(folder), "name": "workspace"}]));
        client.initialize_result = client.request(
            "initialize",
            json!({"processId": null, "rootUri": null, "capabilities": capabilities,
                   "workspaceFolders": folders, "initializationOptions": options}),
        );
        client.notify("initialized", json!({}));
        client
    }

    pub fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        let request = Request::new(id.clone(), method.to_string(), params);
        self.connection.sender.send(request.into()).unwrap();
        loop {
            match self.receive() {
                Message::Response(response) if response.id == id => {
                    return match response.response_result {
                        Ok(result) => result,
                        Err(error) => panic!("{method} failed: {}", error.message),
                    };
                }
                Message::Notification(notification) => self.pending.push_back(notification),
                other => panic!("unexpected message {other:?}"),
            }
        }
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        let notification = Notification::new(method.to_string(), params);
        self.connection.sender.send(notification.into()).unwrap();
    }

    fn receive(&mut self) -> Message {
        self.connection
            .receiver
            .recv_timeout(PATIENCE)
            .expect("the server answers in time")
    }

    /// The next publishDiagnostics for `uri` (earlier ones for other files are kept).
    pub fn diagnostics_for(&mut self, uri: &str) -> Vec<Value> {
        let is_for = |n: &Notification| {
            n.method == "textDocument/publishDiagnostics" && n.params["uri"] == uri
        };
        if let Some(at) = self.pending.iter().position(is_for) {
            let notification = self.pending.remove(at).unwrap();
            return notification.params["diagnostics"]
                .as_array()
                .unwrap()
                .clone();
        }
        loop {
            match self.receive() {
                Message::Notification(notification) if is_for(&notification) => {
                    return notification.params["diagnostics"]
                        .as_array()
                        .unwrap()
                        .clone();
                }
                Message::Notification(notification) => self.pending.push_back(notification),
                other => panic!("unexpected message {other:?}"),
            }
        }
    }

    /// Every publishDiagnostics received so far and not yet read, as (uri, diagnostics),
    /// after a request that the server answers once it has handled what came before.
    pub fn drain_published(&mut self) -> Vec<(String, Vec<Value>)> {
        let _ = self.request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": "file:///nowhere.yaml"}}),
        );
        self.pending
            .drain(..)
            .filter(|n| n.method == "textDocument/publishDiagnostics")
            .map(|n| {
                let uri = n.params["uri"].as_str().unwrap().to_string();
                (uri, n.params["diagnostics"].as_array().unwrap().clone())
            })
            .collect()
    }

    /// The last diagnostics published for `uri` once the server has handled every message
    /// sent so far (several edits may be analysed together or one by one).
    pub fn settled_diagnostics_for(&mut self, uri: &str) -> Vec<Value> {
        self.drain_published()
            .into_iter()
            .rev()
            .find(|(published, _)| published == uri)
            .map(|(_, diagnostics)| diagnostics)
            .unwrap_or_else(|| panic!("nothing published for {uri}"))
    }

    pub fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}),
        );
    }

    /// Shuts the server down and waits for its thread.
    pub fn shutdown(mut self) {
        assert_eq!(self.request("shutdown", Value::Null), Value::Null);
        self.notify("exit", Value::Null);
        self.server.take().unwrap().join().unwrap();
    }
}

/// A position's `character` in `encoding` ("utf-8" or "utf-16") of byte `offset` of `text`.
pub fn character(text: &str, offset: usize, encoding: &str) -> usize {
    let line_start = text[..offset].rfind('\n').map_or(0, |at| at + 1);
    let before = &text[line_start..offset];
    match encoding {
        "utf-8" => before.len(),
        _ => before.encode_utf16().count(),
    }
}

/// The LSP position of the first `needle` in `text`.
pub fn position_of(text: &str, needle: &str, encoding: &str) -> Value {
    let offset = text.find(needle).expect("needle in text");
    let line = text[..offset].matches('\n').count();
    json!({"line": line, "character": character(text, offset, encoding)})
}

/// `text` with the edits of `edits` (LSP TextEdits, UTF-16 positions) applied.
pub fn apply(text: &str, edits: &[Value]) -> String {
    let offset = |position: &Value| {
        let line = position["line"].as_u64().unwrap() as usize;
        let character = position["character"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        let rest = &text[start..];
        let mut units = 0;
        for (at, c) in rest.char_indices() {
            if units >= character || c == '\n' {
                return start + at;
            }
            units += c.len_utf16();
        }
        text.len()
    };
    let mut edits: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|edit| {
            (
                offset(&edit["range"]["start"]),
                offset(&edit["range"]["end"]),
                edit["newText"].as_str().unwrap(),
            )
        })
        .collect();
    edits.sort();
    let mut out = text.to_string();
    for (start, end, new_text) in edits.into_iter().rev() {
        out.replace_range(start..end, new_text);
    }
    out
}
