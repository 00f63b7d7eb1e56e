//! `routescope`: check Istio and Gateway API networking YAML in CI pipelines.

mod check;
mod explain_log;
mod github;
mod gitlab;
mod input;
mod manual;
mod output;
mod render;
mod sarif;
mod status;
mod traffic;

/// A large input holds hundreds of thousands of small allocations (a YAML node each); mimalloc
/// keeps them in size classes without the 16-byte headers and rounding of the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::LazyLock;

use clap::{Parser, Subcommand, ValueEnum};
use routescope_core::checks;
use routescope_core::model::MtlsMode;
use routescope_core::settings::MeshSettings;

/// Routescope finds the mistakes in Istio traffic configuration (Gateway, VirtualService,
/// DestinationRule, ServiceEntry, PeerAuthentication, Service) and in the Kubernetes Gateway
/// API (Gateway, HTTPRoute, TLSRoute, … as Istio runs them) that `istioctl analyze` misses,
/// and fixes them.
///
/// Exit codes: 0 when nothing at or above --fail-on was found, 1 when something was,
/// 2 on usage or input errors (a missing file, a file that is not UTF-8).
#[derive(Parser, Debug)]
#[command(name = "routescope", version = VERSION.as_str(), about, long_about)]
struct Cli {
    /// When to colour the output: auto (when writing to a terminal, unless NO_COLOR is set;
    /// CLICOLOR_FORCE forces it), always or never.
    #[arg(long, value_enum, global = true, default_value_t = output::ColorWhen::Auto)]
    color: output::ColorWhen,
    #[command(subcommand)]
    command: Command,
}

/// `--version`: the release, and the versions of Istio and the Gateway API the checks follow.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{} (checks follow Istio {} and Gateway API {})",
        env!("CARGO_PKG_VERSION"),
        routescope_core::ISTIO_VERSION,
        routescope_core::GATEWAY_API_VERSION
    )
});

#[derive(Subcommand, Debug)]
enum Command {
    /// Check YAML files (whatever their extension), directories (recursively, *.yaml and
    /// *.yml) or standard input (-).
    ///
    /// Documents that are no Istio or Gateway API object (Deployments, ConfigMaps, CI
    /// workflows) are skipped, so `helm template … | routescope check -` works as it is.
    ///
    /// JSON output (--format json) is a stable contract: {"version": 1, "diagnostics": [{check,
    /// severity, message, istio_code, file, resource {kind, namespace, name}, span {start, end:
    /// {line, column, offset}}, related [{message, file, span}], fixes [{label, applicability,
    /// edits [{file, start, end, replacement}]}]}], "summary": {errors, warnings, infos}}.
    /// Lines and columns are 1-based, columns count characters, offsets count bytes.
    Check(CheckArgs),
    /// List every check with its id and summary.
    Checks,
    /// Print the documentation of a check: what it does, why it is bad, an example, the fix.
    Explain {
        /// A check id, as printed in brackets (`double-tls`).
        check: String,
    },
    /// Print a shell completion script.
    ///
    /// `routescope completions bash > /etc/bash_completion.d/routescope`,
    /// `routescope completions zsh > "${fpath[1]}/_routescope"`,
    /// `routescope completions fish > ~/.config/fish/completions/routescope.fish`.
    Completions { shell: clap_complete::Shell },
    /// Print the manual page routescope(1) in roff, generated from these definitions.
    ///
    /// `routescope man | man -l -` reads it; `routescope man --out-dir
    /// /usr/local/share/man/man1` installs it with a page per subcommand.
    Man {
        /// Write routescope.1 and a page per subcommand (routescope-check.1, …) into this
        /// directory instead.
        #[arg(long)]
        out_dir: Option<PathBuf>,
    },
    /// Print the traffic graph: every path a request can take, stage by stage, with what is
    /// on the wire at each hop and the diagnostics that break it.
    ///
    /// JSON (--format json): {"version": 1, "nodes": [{key, stage, label, detail, dead_end,
    /// checks, box {x, y, width, height}, file, span}], "edges": [{from, to, label, wire,
    /// dead, broken, checks}]}; `from` and `to` index `nodes`.
    Graph(traffic::GraphArgs),
    /// Trace one request: the path Envoy takes and how it ends (200, 404 NR, 503 UF,
    /// 400 DPE, `wrong version number`, ...). Exit code 1 when the request fails.
    ///
    /// `routescope trace config.yaml --from gateway:istio-system/gateway https://myapp.com/`
    /// `routescope trace config.yaml --from pod:default http://httpbin.org:443/get`
    Trace(traffic::TraceArgs),
    /// Explain an Envoy access log line (Istio's default format) or a response-flags field
    /// (`UF,URX`): what each flag means, what the other fields say, and which problems of the
    /// configuration given can produce it.
    ///
    /// The line comes from --line or standard input. JSON output (--format json): {"version": 1,
    /// "line": {fields} or null, "flags": [{short, long, tcp, meaning, in_istio, checks}],
    /// "facts", "host", "checks", "related": [{why, produces, same_host, diagnostic}]}, each
    /// diagnostic as `check` writes it.
    ExplainLog(explain_log::ExplainLogArgs),
    /// Print the status Istio's Gateway API controller would write for each Gateway API object
    /// (GatewayClass, Gateway, ListenerSet, HTTPRoute, GRPCRoute, TLSRoute, TCPRoute,
    /// ReferenceGrant, BackendTLSPolicy), as `kubectl get … -o yaml` would show it: whether each
    /// route is accepted by each parent and why not, each listener's attachedRoutes and
    /// supportedKinds. A parentRef Istio does not handle (a missing Gateway, another controller's)
    /// gets no `parents` entry, as on a cluster.
    ///
    /// YAML (the default): one document per object, in input order. JSON (--format json) is a
    /// stable contract: {"version": 1, "resources": [{apiVersion, kind, metadata {namespace,
    /// name}, status}]}, `status` as the Kubernetes API shapes it: `conditions` [{type, status
    /// ("True"/"False"), observedGeneration (only when the input has metadata.generation),
    /// reason, message}], Gateway `listeners` [{name, supportedKinds [{group, kind}],
    /// attachedRoutes, conditions}], route `parents` [{parentRef {group, kind, namespace?, name,
    /// sectionName?, port?}, controllerName, conditions}], BackendTLSPolicy `ancestors`
    /// [{ancestorRef, controllerName, conditions}]; `{}` where Istio writes none.
    Status(status::StatusArgs),
    /// Run the language server for editors (LSP 3.17 over standard input and output).
    ///
    /// The workspace's Istio and Gateway API YAML is checked as one mesh, with fixes as code
    /// actions, hover and go to definition. Settings come from the editor (see the README's
    /// "Editors").
    Lsp,
}

#[derive(clap::Args, Debug)]
struct CheckArgs {
    /// Files (read whatever their extension), directories (their *.yaml and *.yml) or `-` for
    /// standard input.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Output format: text, json, sarif (SARIF 2.1.0, for code scanning), github (GitHub
    /// Actions workflow commands: annotations in the job log and the pull request) or gitlab
    /// (a GitLab Code Quality report).
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,
    /// Text format: print the diagnostics only, without the counts, so a clean input prints
    /// nothing. The other formats are unchanged.
    #[arg(long, short)]
    quiet: bool,
    /// Print the corrected YAML on standard output (safe fixes only), diagnostics that remain
    /// on standard error.
    #[arg(long)]
    fix: bool,
    /// With --fix: apply unsafe fixes too (review their result).
    #[arg(long, requires = "fix")]
    unsafe_fixes: bool,
    /// With --fix: rewrite the files in place (atomically) instead of printing.
    #[arg(long, requires = "fix")]
    write: bool,
    /// Exit with 1 when a diagnostic at or above this severity is found.
    #[arg(long, value_enum, default_value_t = FailOn::Warning)]
    fail_on: FailOn,
    #[command(flatten)]
    mesh: MeshArgs,
}

/// How the mesh around the input is set up.
#[derive(clap::Args, Debug)]
pub struct MeshArgs {
    /// Namespace of resources without metadata.namespace.
    #[arg(long, default_value = "default")]
    namespace: String,
    /// Istio's root namespace (mesh-wide PeerAuthentication lives there).
    #[arg(long, default_value = "istio-system")]
    root_namespace: String,
    /// Whether auto mutual TLS is enabled in the mesh (Istio's default: on).
    #[arg(long, value_enum, default_value_t = Switch::On)]
    auto_mtls: Switch,
    /// The mesh-wide mTLS mode when no PeerAuthentication says otherwise.
    #[arg(long, value_enum, default_value_t = Mtls::Permissive)]
    mtls: Mtls,
    /// The input holds the whole mesh: references to resources not in it are warnings, not
    /// infos.
    #[arg(long)]
    complete: bool,
}

impl MeshArgs {
    pub fn settings(&self) -> MeshSettings {
        MeshSettings {
            default_namespace: self.namespace.clone(),
            root_namespace: self.root_namespace.clone(),
            auto_mtls: matches!(self.auto_mtls, Switch::On),
            default_mtls: match self.mtls {
                Mtls::Strict => MtlsMode::Strict,
                Mtls::Permissive => MtlsMode::Permissive,
            },
            input_complete: self.complete,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum CheckFormat {
    Text,
    Json,
    Sarif,
    Github,
    Gitlab,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum FailOn {
    Error,
    Warning,
    Never,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Switch {
    On,
    Off,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Mtls {
    Strict,
    Permissive,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    output::set_color(cli.color);
    match cli.command {
        Command::Checks => {
            let list: String = checks::registry()
                .iter()
                .map(|check| format!("{:40} {}\n", check.id, check.summary))
                .collect();
            output::print(&list);
            ExitCode::SUCCESS
        }
        Command::Explain { check } => match checks::find(&check) {
            Some(check) => {
                output::print(&check.render_docs());
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("routescope: no check `{check}`; `routescope checks` lists them");
                ExitCode::from(2)
            }
        },
        Command::Completions { shell } => manual::completions(shell),
        Command::Man { out_dir } => manual::man_pages(out_dir.as_deref()),
        Command::Check(args) => check::run(args),
        Command::Graph(args) => traffic::run_graph(args),
        Command::Trace(args) => traffic::run_trace(args),
        Command::ExplainLog(args) => explain_log::run(args),
        Command::Status(args) => status::run(args),
        Command::Lsp => match routescope_lsp::run_stdio() {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("routescope lsp: {error}");
                ExitCode::from(2)
            }
        },
    }
}

/// Reads the inputs, or says why not (exit code 2).
pub fn read_or_exit(paths: &[PathBuf]) -> Result<routescope_core::source::Sources, ExitCode> {
    input::read_inputs(paths).map_err(|input::InputError(message)| {
        eprintln!("routescope: {message}");
        ExitCode::from(2)
    })
}
