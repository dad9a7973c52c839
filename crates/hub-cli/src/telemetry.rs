//! Structured logs on stderr: human-readable by default, JSON with `HUB_LOG_FORMAT=json`.

use tracing_subscriber::EnvFilter;

use crate::config::{Config, LogFormat};

/// Installs the global subscriber once; `RUST_LOG` filters (default `info`).
pub fn init(config: &Config) {
    init_with_default(config, "info");
}

/// [`init`] with another default filter (`hub demo` keeps its progress bars readable with `warn`).
pub fn init_with_default(config: &Config, default_filter: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let installed = match config.log_format {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
    // Already installed (a test running several commands in one process): keep the first.
    drop(installed);
}
