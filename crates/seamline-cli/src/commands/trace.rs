//! `seam trace diagnose | versions | generate`.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write as _};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use seamline_trace::generate::{self, Fault, Style};
use seamline_trace::render::{RenderOptions, render_markdown, render_text};
use seamline_trace::{Config, Engine, Expectations, Reader};

use crate::Status;
use crate::args::{
    DiagnoseArgs, EvidenceArgs, GenerateArgs, Global, InputFormat, ReportFormat, TraceCommand,
    TraceInput, TraceStyle, VersionsArgs,
};
use crate::commands::mcp::Registry;
use crate::commands::registry_client::Client;
use crate::output::write_stdout;

pub(crate) fn run(global: &Global, command: &TraceCommand) -> anyhow::Result<Status> {
    match command {
        TraceCommand::Diagnose(args) => diagnose(global, args),
        TraceCommand::Versions(args) => versions(global, args),
        TraceCommand::Generate(args) => generate(args),
    }
}

fn input_format(format: InputFormat) -> seamline_trace::InputFormat {
    match format {
        InputFormat::Auto => seamline_trace::InputFormat::Auto,
        InputFormat::OtlpJson => seamline_trace::InputFormat::OtlpJson,
        InputFormat::OtlpProtobuf => seamline_trace::InputFormat::OtlpProtobuf,
        InputFormat::Jaeger => seamline_trace::InputFormat::Jaeger,
        InputFormat::Zipkin => seamline_trace::InputFormat::Zipkin,
    }
}

/// Reads logs, then traces (files, standard input, or a live source), into `sink`.
fn read_inputs(
    input: &TraceInput,
    reader: &mut Reader,
    sink: &mut dyn seamline_trace::read::Sink,
) -> anyhow::Result<()> {
    let format = input_format(input.input_format);
    let live = input.jaeger.is_some() || input.tempo.is_some();
    if input.files.is_empty() && !live {
        bail!(
            "no input: name trace files, `-` for standard input, or --jaeger/--tempo with --trace-id"
        );
    }
    for path in input.logs.iter().chain(&input.files) {
        if path == Path::new("-") {
            reader.read_stream("<stdin>", std::io::stdin().lock(), format, sink)?;
            continue;
        }
        if path.is_dir() {
            bail!(
                "`{}` is a folder, not a trace file; to give several services' folders, repeat --manifests or \
                 separate them with commas (--manifests a,b)",
                path.display()
            );
        }
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let shown = path.display().to_string();
        reader
            .read_stream(
                &shown,
                BufReader::with_capacity(1 << 20, file),
                format,
                sink,
            )
            .with_context(|| format!("reading {shown}"))?;
    }
    if let Some(trace_id) = &input.trace_id {
        let (name, body) = match (&input.jaeger, &input.tempo) {
            (Some(base), _) => crate::commands::trace_fetch::jaeger(base, trace_id)?,
            (None, Some(base)) => crate::commands::trace_fetch::tempo(base, trace_id)?,
            (None, None) => bail!("--trace-id needs --jaeger URL or --tempo URL"),
        };
        reader.read_bytes(&name, &body, format, sink);
    }
    if reader.report.spans == 0 && reader.report.logs == 0 {
        let examples = reader
            .report
            .examples
            .iter()
            .map(|e| format!("\n  {e}"))
            .collect::<String>();
        bail!("nothing could be read from the input{examples}");
    }
    Ok(())
}

/// Reads every `seam.toml` in the folders (the folder's own, or up to three levels below).
fn load_expectations(dirs: &[PathBuf]) -> anyhow::Result<Expectations> {
    let mut expectations = Expectations::default();
    for dir in dirs {
        let mut found = Vec::new();
        find_manifests(dir, 0, &mut found);
        if found.is_empty() {
            bail!(
                "{}: no seam.toml here or in the folders below; --manifests takes service folders",
                dir.display()
            );
        }
        for path in found {
            let shown = path.display().to_string();
            let read = seamline_model::read_manifest(&path, &shown)
                .with_context(|| format!("reading {shown}"))?;
            let Some(manifest) = read.manifest.as_ref().filter(|_| read.problems.is_empty()) else {
                let first = read.problems.first().map(|p| {
                    let at = read.source.line_col(p.span.start);
                    format!("{shown}:{}:{}: {}", at.line, at.column, p.message)
                });
                bail!(
                    "{}; run `seam lint` there to see every problem",
                    first.unwrap_or_else(|| format!("{shown} has problems"))
                );
            };
            expectations.add_manifest(manifest);
        }
    }
    Ok(expectations)
}

/// Adds the registry's seam.toml of every service not given with --manifests: the versions deployed in --env,
/// else each service's latest. Says on stderr what was read.
fn add_partners(expectations: &mut Expectations, args: &DiagnoseArgs) -> anyhow::Result<()> {
    let dir = args
        .manifests
        .first()
        .map_or(Path::new("."), PathBuf::as_path);
    let registry = Registry(Client::new(&args.registry, dir)?);
    let partners = seamline_context::mcp::partner_manifests(&registry, args.env.as_deref())
        .map_err(|e| anyhow::anyhow!("reading the partners' seam.toml from the registry: {e}"))?;
    let local: Vec<String> = expectations
        .services
        .iter()
        .map(|s| s.service.clone())
        .collect();
    let mut read = Vec::new();
    for (service, version, text) in partners {
        if local.contains(&service) {
            continue;
        }
        let shown = format!("{} {service} {version}: seam.toml", registry.0.base());
        let parsed =
            seamline_model::parse_manifest(Path::new("seam.toml"), &shown, text.as_bytes());
        match parsed.manifest.filter(|_| parsed.problems.is_empty()) {
            Some(manifest) => {
                expectations.add_manifest(&manifest);
                read.push(format!("{service} {version}"));
            }
            None => eprintln!("warning: {shown} has problems; its expectations are left out"),
        }
    }
    eprintln!(
        "seam: expectations of {} partner(s) from the registry at {} ({}): {}",
        read.len(),
        registry.0.base(),
        args.env
            .as_deref()
            .map_or("latest versions".into(), |e| format!("deployed in {e}")),
        if read.is_empty() {
            "none".into()
        } else {
            read.join(", ")
        }
    );
    Ok(())
}

fn find_manifests(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) {
    let own = dir.join("seam.toml");
    if own.is_file() {
        found.push(own);
        return;
    }
    if depth >= 3 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut dirs: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for sub in dirs {
        if sub.file_name().is_some_and(|n| {
            n.to_string_lossy().starts_with('.') || n == "target" || n == "node_modules"
        }) {
            continue;
        }
        find_manifests(&sub, depth + 1, found);
    }
}

fn diagnose(global: &Global, args: &DiagnoseArgs) -> anyhow::Result<Status> {
    let format = args.input.format;
    if args.max_tokens.is_some() && format != ReportFormat::Markdown {
        bail!("--max-tokens applies to --format markdown");
    }
    let mut expectations = load_expectations(&args.manifests)?;
    if args.registry.registry.is_some() || args.env.is_some() {
        add_partners(&mut expectations, args)?;
    }
    let config = Config {
        expectations,
        version_attribute: args.input.version_attribute.clone(),
        window_ns: args.window,
    };
    let mut reader = Reader::default();
    let mut engine = Engine::new(config);
    read_inputs(&args.input, &mut reader, &mut engine)?;
    let report = engine.finish(&reader.report);
    let options = RenderOptions { all: args.all };
    if format == ReportFormat::Json {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
        let written = report
            .write_json(&mut out)
            .map_err(std::io::Error::from)
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush());
        match written {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
            _ => {}
        }
        return Ok(failing_status(&report));
    }
    let text = match format {
        ReportFormat::Markdown => render_markdown(&report, options, args.max_tokens),
        _ => render_text(&report, options),
    };
    write_stdout(global.color, &text)?;
    Ok(failing_status(&report))
}

/// Exit 1 when a request failed; failures that did not fail a request are reported but do not fail the run.
fn failing_status(report: &seamline_trace::Report) -> Status {
    if report.traces.iter().any(|t| t.request_failed) {
        Status::Findings
    } else {
        Status::Clean
    }
}

/// Which message versions the services of `input` published and consumed.
fn observe_versions(input: &TraceInput) -> anyhow::Result<seamline_trace::versions::Versions> {
    let mut reader = Reader::default();
    let mut versions = seamline_trace::versions::Versions::new(input.version_attribute.clone());
    read_inputs(
        input,
        &mut reader,
        &mut seamline_registry::usage::Observe(&mut versions),
    )?;
    Ok(versions)
}

/// `seam migrate evidence`: the versions seen in the traces, reported to the registry's counters for `--env`.
pub(crate) fn evidence(args: &EvidenceArgs) -> anyhow::Result<Status> {
    crate::commands::registry_client::segment("environment", &args.env)?;
    let versions = observe_versions(&args.input)?;
    let (usage, warnings) = seamline_registry::usage::usage_of(&versions);
    for w in warnings {
        eprintln!("warning: {w}");
    }
    if usage.is_empty() {
        bail!("no messaging span with a message name in the input: nothing to report");
    }
    let client = Client::new(&args.registry, Path::new("."))?;
    for chunk in usage.chunks(10_000) {
        client
            .post(
                &format!("/api/v1/environments/{}/usage", args.env),
                &serde_json::json!({ "usage": chunk }),
            )?
            .ok(&format!("reporting version usage in {}", args.env))?;
    }
    println!(
        "reported {} version use(s) in {} to {}",
        usage.len(),
        args.env,
        client.base()
    );
    for u in &usage {
        println!(
            "  {} {} {}@{} ×{}",
            u.service, u.role, u.message, u.version, u.count
        );
    }
    Ok(Status::Clean)
}

fn versions(global: &Global, args: &VersionsArgs) -> anyhow::Result<Status> {
    let format = args.input.format;
    let versions = observe_versions(&args.input)?;
    let consumers = versions.consumers();
    let producers = versions.producers();
    let text = match format {
        ReportFormat::Json => {
            let value =
                serde_json::json!({ "version": 1, "consumers": consumers, "producers": producers });
            format!("{}\n", serde_json::to_string_pretty(&value)?)
        }
        ReportFormat::Text | ReportFormat::Markdown => {
            versions_table(&consumers, &producers, format == ReportFormat::Markdown)
        }
    };
    write_stdout(global.color, &text)?;
    Ok(Status::Clean)
}

fn versions_table(
    consumers: &[seamline_trace::versions::VersionUse],
    producers: &[seamline_trace::versions::VersionUse],
    markdown: bool,
) -> String {
    let mut out = String::new();
    if consumers.is_empty() && producers.is_empty() {
        return "no messaging spans with a message name in the input\n".into();
    }
    let head = [
        "message",
        "version",
        "consumer",
        "consumed",
        "failed",
        "last seen",
    ];
    let mut rows: Vec<[String; 6]> = consumers
        .iter()
        .map(|u| {
            [
                u.message.clone(),
                u.version.clone(),
                u.consumer.clone(),
                u.count.to_string(),
                u.failed.to_string(),
                u.last_seen.clone(),
            ]
        })
        .collect();
    // Versions published that no consumer took: the ones a migration must not remove yet, or a routing mistake.
    for p in producers {
        if !consumers
            .iter()
            .any(|c| c.message == p.message && c.version == p.version)
        {
            rows.push([
                p.message.clone(),
                p.version.clone(),
                format!("(none; published {}× by {})", p.count, p.consumer),
                "0".into(),
                "0".into(),
                "-".into(),
            ]);
        }
    }
    rows.sort();
    if markdown {
        out.push_str(&format!(
            "| {} |\n|{}|\n",
            head.join(" | "),
            "---|".repeat(head.len())
        ));
        for row in rows {
            out.push_str(&format!("| {} |\n", row.join(" | ")));
        }
        return out;
    }
    let widths: Vec<usize> = (0..head.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([head[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[&str]| {
        let mut l = String::new();
        for (i, cell) in cells.iter().enumerate() {
            l.push_str(&format!("{cell:<w$}  ", w = widths[i]));
        }
        format!("{}\n", l.trim_end())
    };
    out.push_str(&line(&head));
    for row in &rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        out.push_str(&line(&cells));
    }
    out
}

/// The value of `flag` among `all`, by name; an error listing the names otherwise.
fn named<T: Copy>(
    flag: &str,
    given: &str,
    all: &[T],
    name: impl Fn(T) -> &'static str,
) -> anyhow::Result<T> {
    all.iter()
        .copied()
        .find(|v| name(*v) == given)
        .with_context(|| {
            let names: Vec<&str> = all.iter().map(|v| name(*v)).collect();
            format!("unknown {flag} `{given}`; one of: {}", names.join(", "))
        })
}

/// `--profile`: one case of the labelled corpus, its traces and (with --labels-out) its labels.
fn generate_case(args: &GenerateArgs, profile: &str) -> anyhow::Result<Status> {
    use seamline_trace::corpus::{self, FaultKind, Partial, Profile, Topology};
    let profile = named("profile", profile, &Profile::ALL, Profile::name)?;
    let topology = named(
        "system",
        args.system.as_deref().unwrap_or("checkout"),
        &Topology::ALL,
        Topology::name,
    )?;
    let fault = named(
        "fault",
        args.fault.as_deref().unwrap_or("healthy"),
        &FaultKind::ALL,
        FaultKind::name,
    )?;
    let partial = named(
        "partial input",
        args.partial.as_deref().unwrap_or("complete"),
        &Partial::ALL,
        Partial::name,
    )?;
    let faulty = if fault == FaultKind::Healthy {
        0
    } else {
        (args.checkouts * args.faulty_per_40.min(40)).div_ceil(40)
    };
    let case = corpus::case(&corpus::Spec {
        profile,
        topology,
        fault,
        partial,
        seed: args.seed,
        healthy: args.checkouts - faulty,
        faulty,
    });
    crate::commands::write_atomically(&args.output, &case.traces)?;
    if let Some(path) = &args.labels_out {
        let mut lines = String::new();
        for r in &case.requests {
            let label = serde_json::json!({
                "trace_id": r.trace_id, "fault": r.fault.name(), "service": r.service, "span": r.span,
            });
            lines.push_str(&label.to_string());
            lines.push('\n');
        }
        crate::commands::write_atomically(path, lines.as_bytes())?;
    }
    anstream::eprintln!(
        "wrote {} ({} request(s), {faulty} faulty) to {}{}",
        case.name,
        case.requests.len(),
        args.output.display(),
        args.labels_out
            .as_ref()
            .map(|p| format!(", labels to {}", p.display()))
            .unwrap_or_default()
    );
    Ok(Status::Clean)
}

fn generate(args: &GenerateArgs) -> anyhow::Result<Status> {
    if let Some(profile) = &args.profile {
        return generate_case(args, profile);
    }
    let fault = match args.fault.as_deref() {
        None | Some("none") => None,
        Some(name) => Some(Fault::parse(name).with_context(|| {
            let names: Vec<&str> = Fault::ALL.iter().map(|f| f.name()).collect();
            format!("unknown fault `{name}`; one of: {}", names.join(", "))
        })?),
    };
    let options = generate::Options {
        checkouts: args.checkouts,
        fault,
        faulty_per_40: args.faulty_per_40.min(40),
        style: match args.style {
            TraceStyle::Child => Style::Child,
            TraceStyle::Link => Style::Link,
        },
        seed: args.seed,
        quirks: args.quirks,
        skew_ms: args.skew_ms,
        noise: args.noise,
        ..generate::Options::default()
    };
    let create = |path: &Path| -> anyhow::Result<BufWriter<File>> {
        Ok(BufWriter::new(File::create(path).with_context(|| {
            format!("cannot write {}", path.display())
        })?))
    };
    let mut traces = create(&args.output)?;
    let mut logs = args.logs_out.as_deref().map(create).transpose()?;
    let written = generate::generate(
        &options,
        &mut traces,
        logs.as_mut().map(|l| l as &mut dyn std::io::Write),
    )?;
    traces.flush()?;
    if let Some(logs) = logs.as_mut() {
        logs.flush()?;
    }
    anstream::eprintln!(
        "wrote {} span(s) in {} trace(s) ({} faulty checkout(s)) to {}{}",
        written.spans,
        written.traces,
        written.faulty_checkouts,
        args.output.display(),
        args.logs_out
            .as_ref()
            .map(|p| format!(", {} log line(s) to {}", written.logs, p.display()))
            .unwrap_or_default()
    );
    Ok(Status::Clean)
}
