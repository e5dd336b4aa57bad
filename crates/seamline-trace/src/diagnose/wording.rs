//! The words every sentence of a diagnosis shares: durations and a span's outcome.

use crate::failure::{self, FailureReason};
use crate::model::Span;

pub(super) fn ms(ns: u64) -> f64 {
    (ns as f64 / 1e6 * 100.0).round() / 100.0
}

pub(crate) fn duration_text(ns: u64) -> String {
    let ms = ns as f64 / 1e6;
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else if ms >= 10.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

pub(super) fn outcome(span: &Span) -> String {
    if let Some(code) = span.http_status() {
        return format!("HTTP {code}");
    }
    match failure::failure(span).map(|f| f.reason) {
        Some(
            reason @ (FailureReason::Grpc(_)
            | FailureReason::ProxyFlags(_)
            | FailureReason::ErrorType(_)),
        ) => reason.describe(),
        Some(_) => "error".into(),
        None => "ok".into(),
    }
}
