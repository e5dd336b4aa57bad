//! The web UI in a real browser: headless Chromium driven through ChromeDriver (WebDriver), one test per page,
//! against a registry holding the checkout example services. Screenshots go to the test output folder
//! (`target/tmp/ui-screenshots/`), not the repository.
//!
//! ChromeDriver is found through CHROMEDRIVER, else /usr/bin/chromedriver; without it the tests skip with a
//! message, or fail under SEAMLINE_REQUIRE_SERVICES=1 (as in CI, which installs Debian's chromium-driver).

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use seamline_registry::{Publication, Settings, Store};

struct Fixture {
    base: String,
    browser: Client,
    driver: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Fixture {
    /// ChromeDriver and the Chromium it started share a process group: end them all, also when a test failed
    /// before closing its session.
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.driver.wait();
    }
}

fn chromedriver() -> Option<PathBuf> {
    let path = std::env::var_os("CHROMEDRIVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromedriver"));
    if path.is_file() {
        return Some(path);
    }
    if std::env::var_os("SEAMLINE_REQUIRE_SERVICES").is_some_and(|v| v == "1") {
        panic!(
            "ChromeDriver not found at {} and SEAMLINE_REQUIRE_SERVICES=1: install chromium and chromium-driver",
            path.display()
        );
    }
    eprintln!(
        "\n*** SKIPPED: ChromeDriver not found at {} (set CHROMEDRIVER, or install chromium-driver); the web UI was NOT tested ***\n",
        path.display()
    );
    None
}

/// A publication of an example service folder: its seam.toml and every file under contracts/.
fn publication(dir: &Path, version: &str) -> Publication {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let relative = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((relative, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    let manifest = std::fs::read_to_string(dir.join("seam.toml")).unwrap();
    let mut contracts = Vec::new();
    walk(dir, &dir.join("contracts"), &mut contracts);
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    Publication {
        service: name,
        owner: None,
        version: version.into(),
        git_commit: Some("4f2a1c0e9b7d".into()),
        branch: Some("main".into()),
        manifest,
        contracts,
    }
}

/// The checkout services published and deployed, payment-service 3.0.0 published with a change that breaks
/// what order-service uses, and the registry served on a loopback port.
async fn start() -> Option<Fixture> {
    let driver_path = chromedriver()?;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite:{}", dir.path().join("r.db").display()))
        .await
        .unwrap();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/checkout");
    let mut payment = publication(&examples.join("payment-service"), "2.4.0");
    payment.owner = Some("<b>team-payments</b>".into());
    for p in [
        payment.clone(),
        publication(&examples.join("order-service"), "1.1.0"),
        publication(&examples.join("inventory-service"), "2.0.0"),
    ] {
        store.publish(&p).await.unwrap();
        store
            .record_deployment("production", &p.service, &p.version)
            .await
            .unwrap();
    }
    store
        .record_deployment("staging", "order-service", "1.1.0")
        .await
        .unwrap();
    let mut breaking = payment;
    breaking.version = "3.0.0".into();
    for (_, content) in &mut breaking.contracts {
        *content = content
            .replace(
                "required: [order_id, amount_minor, currency]",
                "required: [order_id, amount_minor, currency, customer_id]",
            )
            .replace(
                "        currency: {type: string}\n",
                "        currency: {type: string}\n        customer_id: {type: string}\n",
            );
    }
    store.publish(&breaking).await.unwrap();
    Some(browse(store, dir, driver_path).await)
}

/// `store` served on a loopback port, and a headless Chromium to look at it.
async fn browse(store: Store, dir: tempfile::TempDir, driver_path: PathBuf) -> Fixture {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(seamline_registry::serve(
        store,
        Settings::default(),
        listener,
        std::future::pending(),
    ));

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let driver = Command::new(driver_path)
        .process_group(0)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let profile = dir.path().join("chromium-profile");
    let capabilities = serde_json::json!({
        "goog:chromeOptions": {
            "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
                "--window-size=1400,1000", format!("--user-data-dir={}", profile.display()),
            ],
        }
    });
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let mut browser = None;
    // ChromeDriver takes a moment to listen.
    for _ in 0..50 {
        let attempt = ClientBuilder::new(connector.clone())
            .capabilities(capabilities.as_object().unwrap().clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await;
        match attempt {
            Ok(client) => {
                browser = Some(client);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    Fixture {
        base,
        browser: browser.expect("ChromeDriver did not start a browser session"),
        driver,
        _dir: dir,
    }
}

impl Fixture {
    async fn open(&self, path: &str) {
        self.browser
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    async fn text(&self, css: &str) -> String {
        self.browser
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .text()
            .await
            .unwrap()
    }

    async fn count(&self, css: &str) -> usize {
        self.browser
            .find_all(Locator::Css(css))
            .await
            .unwrap()
            .len()
    }

    async fn screenshot(&self, name: &str) {
        let png = self.browser.screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    async fn close(self) {
        self.browser.clone().close().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_page_lists_services_with_owners_and_partners() {
    let Some(ui) = start().await else { return };
    ui.open("/").await;
    assert_eq!(
        ui.browser.title().await.unwrap(),
        "Services · Seamline registry"
    );
    assert_eq!(ui.count("#services tr[data-service]").await, 3);
    let order = ui.text("#services tr[data-service='order-service']").await;
    assert!(order.contains("payment-service (payment-api)"), "{order}");
    assert!(
        order.contains("inventory-service (inventory-events)"),
        "{order}"
    );
    // The owner is text, never markup.
    let payment = ui
        .text("#services tr[data-service='payment-service']")
        .await;
    assert!(payment.contains("<b>team-payments</b>"), "{payment}");
    assert!(payment.contains("3.0.0"), "{payment}");
    ui.screenshot("services").await;
    ui.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_page_shows_contracts_versions_consumers_and_leads_to_the_diff() {
    let Some(ui) = start().await else { return };
    ui.open("/services/payment-service").await;
    let provides = ui.text("#provides").await;
    assert!(provides.contains("payment-api"), "{provides}");
    assert!(provides.contains("order-service"), "{provides}");
    assert_eq!(ui.count("#versions tr").await, 3);
    let deployed = ui.text("#deployed").await;
    assert!(
        deployed.contains("production") && deployed.contains("2.4.0"),
        "{deployed}"
    );
    ui.screenshot("service").await;

    // The version table links each version to its changes.
    ui.browser
        .find(Locator::LinkText("changes since 2.4.0"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let heading = ui.text("h1").await;
    assert_eq!(heading, "payment-service: 2.4.0 → 3.0.0");
    ui.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diff_page_renders_classified_changes() {
    let Some(ui) = start().await else { return };
    ui.open("/services/payment-service/diff?from=2.4.0&to=3.0.0")
        .await;
    let table = ui.text("table.changes[data-contract='payment-api']").await;
    assert!(table.contains("breaking"), "{table}");
    assert!(table.contains("customer_id"), "{table}");
    ui.screenshot("diff").await;
    ui.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graph_page_draws_the_dependencies() {
    let Some(ui) = start().await else { return };
    ui.open("/graph").await;
    assert_eq!(ui.count("svg.graph g.node").await, 3);
    assert_eq!(
        ui.count(
            "svg.graph g.edge[data-consumer='order-service'][data-provider='payment-service']"
        )
        .await,
        1
    );
    assert_eq!(
        ui.count(
            "svg.graph g.edge[data-consumer='inventory-service'][data-provider='order-service']"
        )
        .await,
        1
    );
    // Providers stand right of their consumers.
    let x = |service: &'static str| {
        let browser = ui.browser.clone();
        async move {
            browser
                .find(Locator::Css(&format!(
                    "g.node[data-service='{service}'] rect"
                )))
                .await
                .unwrap()
                .attr("x")
                .await
                .unwrap()
                .unwrap()
                .parse::<i64>()
                .unwrap()
        }
    };
    assert!(x("order-service").await < x("payment-service").await);
    ui.screenshot("graph").await;
    ui.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environments_page_shows_what_is_deployed() {
    let Some(ui) = start().await else { return };
    ui.open("/environments").await;
    assert_eq!(ui.count("table[data-environment='production'] tr").await, 4);
    let staging = ui.text("table[data-environment='staging']").await;
    assert!(
        staging.contains("order-service") && staging.contains("1.1.0"),
        "{staging}"
    );
    ui.screenshot("environments").await;
    ui.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matrix_page_answers_can_i_deploy_with_reasons() {
    let Some(ui) = start().await else { return };
    ui.open("/matrix").await;
    let cell = ui
        .text("#matrix tr[data-service='payment-service'] td[data-environment='production']")
        .await;
    assert_eq!(cell, "not deployable");
    let cell = ui
        .text("#matrix tr[data-service='order-service'] td[data-environment='production']")
        .await;
    assert_eq!(cell, "deployable");
    ui.screenshot("matrix").await;

    ui.browser
        .find(Locator::Css(
            "#matrix tr[data-service='payment-service'] td[data-environment='production'] a",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(ui.text("h1").await, "Can payment-service 3.0.0 deploy?");
    let pairs = ui.text("table.pairs[data-environment='production']").await;
    assert!(
        pairs.contains("breaking for what order-service uses"),
        "{pairs}"
    );
    ui.screenshot("matrix-detail").await;
    ui.close().await;
}

// The pages at sizes and with data the browser tests above do not have, through the router (no socket, no
// browser, so these run everywhere).

/// A page's status and body, asked of the router on the calling thread.
async fn get_page(store: &Store, uri: &str) -> (u16, String) {
    get_page_with(store, Settings::default(), uri).await
}

async fn get_page_with(store: &Store, settings: Settings, uri: &str) -> (u16, String) {
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;
    let request = axum::http::Request::get(uri)
        .body(axum::body::Body::empty())
        .unwrap();
    let response = seamline_registry::api::router(store.clone(), settings)
        .oneshot(request)
        .await
        .unwrap();
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

/// A service named `name` consuming `provider`'s API.
fn link_of_chain(name: &str, provider: Option<&str>, version: &str) -> Publication {
    let mut manifest = format!("[service]\nname = \"{name}\"\n");
    if let Some(p) = provider {
        manifest.push_str(&format!(
            "\n[[consumes.http]]\nservice = \"{p}\"\ncontract = \"{p}-api\"\noperations = [\"get\"]\n"
        ));
    }
    Publication {
        service: name.into(),
        owner: None,
        version: version.into(),
        git_commit: None,
        branch: None,
        manifest,
        contracts: Vec::new(),
    }
}

/// Each of 10,000 services consumes the next. Drawing the graph once took a stack frame per link and aborted
/// the whole server; the answer is asked on a thread with a 512 KiB stack, so a recursion per link fails
/// here on any platform. The picture draws the first services and says what it left out.
#[test]
fn a_chain_of_ten_thousand_consumers_draws_its_graph() {
    const CHAIN: usize = 10_000;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("r.db").display());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = runtime.block_on(async {
        let store = Store::open(&url).await.unwrap();
        let name = |i: usize| format!("s{i:05}");
        for i in 0..CHAIN {
            let provider = (i + 1 < CHAIN).then(|| name(i + 1));
            store
                .publish(&link_of_chain(&name(i), provider.as_deref(), "1.0.0"))
                .await
                .unwrap();
        }
        store
    });
    let (status, svg) = std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(move || runtime.block_on(get_page(&store, "/graph.svg")))
        .unwrap()
        .join()
        .expect("the graph is drawn without overflowing the stack");
    assert_eq!(status, 200, "{svg}");
    assert_eq!(svg.matches("class=\"node\"").count(), 300);
    assert_eq!(svg.matches("class=\"edge\"").count(), 299);
    assert!(
        svg.contains("The first 300 services of 10000 by name; 9700 left out"),
        "{}",
        &svg[..svg.len().min(2000)]
    );
}

/// Versions stored before commits and branches were checked may hold any text: the service page shortens them
/// by characters, never inside one (a byte slice there panicked on `aéééééé`, and the page stayed broken).
/// Versions are listed 50 at a time, newest first, with a link to the older ones.
#[tokio::test]
async fn service_page_lists_versions_a_page_at_a_time_whatever_their_commit() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite:{}", dir.path().join("r.db").display()))
        .await
        .unwrap();
    for i in 0..60 {
        let mut p = link_of_chain("legacy", None, &format!("1.{i:02}.0"));
        p.manifest.push_str(&format!("# {i}\n"));
        p.git_commit = Some(["aéééééé", "ééééééééééééé€", "0123456789abcdef"][i % 3].into());
        p.branch = Some("fix/naïve-ünïcode".into());
        store.publish(&p).await.unwrap();
    }
    let (status, html) = get_page(&store, "/services/legacy").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("aéééééé") && html.contains("ééééééééééé"));
    assert!(html.contains("0123456789ab<") && !html.contains("0123456789abc"));
    let rows = html.matches("changes since").count();
    assert_eq!(
        rows, 50,
        "50 versions shown, each with its changes since the one before"
    );
    assert!(html.contains("latest version <code>1.59.0</code>"));
    assert!(html.contains("changes since 1.09.0"));
    assert!(
        html.contains("href=\"/services/legacy?before=1.10.0\""),
        "a link to the older versions"
    );
    let (status, older) = get_page(&store, "/services/legacy?before=1.10.0").await;
    assert_eq!(status, 200);
    assert!(older.contains("<code>1.09.0</code>") && older.contains("<code>1.00.0</code>"));
    assert!(!older.contains("<code>1.10.0</code>") && !older.contains("Older versions"));
    assert_eq!(older.matches("changes since").count(), 9);
    let (status, _) = get_page(&store, "/services/legacy?before=9.9.9").await;
    assert_eq!(status, 404);
}

/// The services page lists 100 services and the can-i-deploy overview 25 (each of its cells is an answer), each
/// with a link to the next ones by name.
#[tokio::test]
async fn services_and_matrix_pages_come_a_page_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite:{}", dir.path().join("r.db").display()))
        .await
        .unwrap();
    for i in 0..105 {
        let name = format!("svc-{i:03}");
        store
            .publish(&link_of_chain(&name, None, "1.0.0"))
            .await
            .unwrap();
        store
            .record_deployment("production", &name, "1.0.0")
            .await
            .unwrap();
    }
    let rows = |html: &str| html.matches("<tr data-service=").count();
    let (status, first) = get_page(&store, "/").await;
    assert_eq!((status, rows(&first)), (200, 100));
    assert!(
        first.contains("href=\"/?after=svc-099\""),
        "a link to the next page"
    );
    let (_, rest) = get_page(&store, "/?after=svc-099").await;
    assert_eq!(rows(&rest), 5);
    assert!(rest.contains("data-service=\"svc-100\"") && !rest.contains("More services"));

    let (status, grid) = get_page(&store, "/matrix").await;
    assert_eq!((status, rows(&grid)), (200, 25));
    assert!(grid.contains("href=\"/matrix?after=svc-024\""));
    let (_, last) = get_page(&store, "/matrix?after=svc-099").await;
    assert_eq!(rows(&last), 5);
    assert_eq!(get_page(&store, "/matrix?after=..%2Fx").await.0, 400);
}

// The migrations pages: a producer moving `inventory.stock_reserved` from v1 to v2, as `seam migrate` runs it.

const MESSAGE: &str = "inventory.stock_reserved";

/// An AsyncAPI contract defining each message in `messages` at each of its versions.
fn events_contract(messages: &[(&str, &[u32])]) -> String {
    let mut defined = String::new();
    for (i, (name, versions)) in messages.iter().enumerate() {
        for v in *versions {
            defined.push_str(&format!(
                "    M{i}v{v}:\n      name: {}\n      x-version: {v}\n      payload:\n        type: object\n        required: [order_id]\n        properties:\n          order_id: {{type: string}}\n",
                serde_json::to_string(name).unwrap()
            ));
        }
    }
    format!(
        "asyncapi: 3.0.0\ninfo: {{title: inventory, version: '1'}}\nchannels:\n  inventory:\n    address: inventory\ncomponents:\n  messages:\n{defined}"
    )
}

/// inventory-service `version`: its contract defines `messages`, its manifest publishes `MESSAGE` at `published`.
fn inventory(version: &str, messages: &[(&str, &[u32])], published: &[u32]) -> Publication {
    let publishes: String = published
        .iter()
        .map(|v| format!("\n[[publishes]]\nmessage = \"{MESSAGE}@{v}\"\n"))
        .collect();
    Publication {
        service: "inventory-service".into(),
        owner: None,
        version: version.into(),
        git_commit: None,
        branch: None,
        manifest: format!(
            "[service]\nname = \"inventory-service\"\n\n[[provides.events]]\nname = \"inventory-events\"\nspec = \"contracts/inventory-events.asyncapi.yaml\"\n{publishes}"
        ),
        contracts: vec![(
            "contracts/inventory-events.asyncapi.yaml".into(),
            events_contract(messages),
        )],
    }
}

/// `service` `version`, accepting `MESSAGE` at `accepts` only.
fn consumer(service: &str, version: &str, accepts: &[u32]) -> Publication {
    let messages: Vec<String> = accepts
        .iter()
        .map(|v| format!("\"{MESSAGE}@{v}\""))
        .collect();
    Publication {
        service: service.into(),
        owner: None,
        version: version.into(),
        git_commit: None,
        branch: None,
        manifest: format!(
            "[service]\nname = \"{service}\"\n\n[[consumes.events]]\nservice = \"inventory-service\"\ncontract = \"inventory-events\"\nmessages = [{}]\n",
            messages.join(", ")
        ),
        contracts: vec![(
            "contracts/vendor/inventory-service/inventory-events.asyncapi.yaml".into(),
            events_contract(&[(MESSAGE, accepts)]),
        )],
    }
}

/// Spans showing `service` doing `role` with `MESSAGE` at `version` ten times, the last at `at_ms`.
fn seen(service: &str, role: &str, version: &str, at_ms: i64) -> seamline_registry::VersionUse {
    seamline_registry::VersionUse {
        service: service.into(),
        role: role.into(),
        message: MESSAGE.into(),
        version: version.into(),
        count: 10,
        failed: 0,
        last_seen_ms: at_ms,
        trace_id: Some(format!("{at_ms:032x}")),
    }
}

fn start_of(message: &str) -> seamline_registry::migrate::Start {
    seamline_registry::migrate::Start {
        contract: "inventory-events".into(),
        message: message.into(),
        from: 1,
        to: 2,
        window_ms: None,
    }
}

/// A store where inventory-service migrates `MESSAGE` v1 → v2, at phase 2: in production it publishes both
/// and spans show it; order-service accepts only v1 and still reads it, and legacy-audit (no seam.toml) reads v1
/// too; in staging, deployed since phase 2 was reached, no span shows it publishing anything. A second
/// migration, of `inventory.stock_released`, was started later and aborted.
async fn migrating_store(dir: &tempfile::TempDir) -> Store {
    const RELEASED: &str = "inventory.stock_released";
    let store = Store::open(&format!("sqlite:{}", dir.path().join("r.db").display()))
        .await
        .unwrap();
    let production = |service: &'static str, version: &'static str| {
        let store = store.clone();
        async move {
            store
                .record_deployment("production", service, version)
                .await
                .unwrap()
        }
    };
    store
        .publish(&inventory("1", &[(MESSAGE, &[1])], &[1]))
        .await
        .unwrap();
    production("inventory-service", "1").await;
    store
        .publish(&consumer("order-service", "a", &[1]))
        .await
        .unwrap();
    production("order-service", "a").await;
    store
        .publish(&inventory(
            "2",
            &[(MESSAGE, &[1, 2]), (RELEASED, &[1, 2])],
            &[1, 2],
        ))
        .await
        .unwrap();
    production("inventory-service", "2").await;
    store
        .start_migration("inventory-service", &start_of(MESSAGE), "tok-ci")
        .await
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    store
        .record_usage(
            "production",
            &[
                seen("inventory-service", "publishes", "1", now),
                seen("inventory-service", "publishes", "2", now),
                seen("order-service", "consumes", "1", now),
                seen("legacy-audit", "consumes", "1", now - 1),
            ],
        )
        .await
        .unwrap();
    let status = store
        .advance_migration("inventory-service", MESSAGE, "tok-ci")
        .await
        .unwrap();
    assert_eq!(status.migration.phase, 2);
    store
        .record_deployment("staging", "inventory-service", "2")
        .await
        .unwrap();
    // Started after the active one, so only the state puts it second.
    tokio::time::sleep(Duration::from_millis(5)).await;
    store
        .start_migration("inventory-service", &start_of(RELEASED), "tok-ci")
        .await
        .unwrap();
    store
        .abort_migration("inventory-service", RELEASED, "tok-admin")
        .await
        .unwrap();
    store
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_page_shows_each_phase_its_blockers_parties_and_history() {
    let Some(driver_path) = chromedriver() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = migrating_store(&dir).await;
    let ui = browse(store, dir, driver_path).await;

    // From the nav, the list: the active migration first, the aborted one after it.
    ui.open("/").await;
    ui.browser
        .find(Locator::LinkText("Migrations"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(
        ui.browser.title().await.unwrap(),
        "Migrations · Seamline registry"
    );
    let states = ui
        .browser
        .find_all(Locator::Css("table.migrations tbody tr"))
        .await
        .unwrap();
    let mut order = Vec::new();
    for row in states {
        order.push(row.attr("data-state").await.unwrap().unwrap());
    }
    assert_eq!(order, ["active", "aborted"]);
    let row = ui
        .text("table.migrations tr[data-message='inventory.stock_reserved']")
        .await;
    for part in [
        "inventory-service",
        "inventory-events",
        "v1 → v2",
        "2 of 5: dual-publish",
        "active",
        "UTC",
    ] {
        assert!(row.contains(part), "{part} in {row}");
    }
    let aborted = ui
        .text("table.migrations tr[data-message='inventory.stock_released']")
        .await;
    assert!(
        aborted.contains("1 of 5: new version defined") && aborted.contains("aborted"),
        "{aborted}"
    );
    ui.screenshot("migrations").await;

    ui.browser
        .find(Locator::LinkText(MESSAGE))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(ui.text("h1").await, "inventory.stock_reserved v1 → v2");

    // The stepper: phases 1 and 2 reached, 2 the current one, 3 next and shut.
    assert_eq!(ui.count("ol.stepper li").await, 5);
    assert_eq!(ui.count("ol.stepper li.reached").await, 2);
    let current = ui.text("ol.stepper li[aria-current='step']").await;
    assert!(current.starts_with("2 dual-publish"), "{current}");
    let next = ui.text("ol.stepper li.next").await;
    assert!(
        next.contains("consumers accept both") && next.contains("next") && next.contains("shut"),
        "{next}"
    );
    let first = ui.text("ol.stepper li[data-phase='1']").await;
    assert!(
        first.contains("reached") && first.contains("holds"),
        "{first}"
    );

    // What blocks the next gate; a reached gate shut again by a deployment since; a passed gate's evidence.
    assert_eq!(
        ui.text("#next").await,
        "Next: phase 3, consumers accept both"
    );
    let blocks = ui.text("details.blockers[data-phase='3']").await;
    assert!(
        blocks.contains(
            "production: order-service a accepts only v1 (seam.toml [[consumes.events]])"
        ),
        "{blocks}"
    );
    let shut_again = ui.text("details.blockers[data-phase='2']").await;
    assert!(
        shut_again
            .contains("staging: no span shows inventory-service publishing v2 in the last 7 d"),
        "{shut_again}"
    );
    let evidence = ui.text("ul.evidence[data-phase='1']").await;
    assert!(
        evidence.contains(
            "inventory-service 2: inventory-events defines inventory.stock_reserved v1 and v2"
        ),
        "{evidence}"
    );
    let evidence = ui.text("ul.evidence[data-phase='2']").await;
    assert!(
        evidence.contains("production: spans show inventory-service publishing v2 ×10"),
        "{evidence}"
    );

    // Who takes part, per environment, with what spans show and what each has to do.
    let producer = ui
        .text("table.parties[data-environment='production'] tr[data-role='producer']")
        .await;
    assert!(
        producer.contains("inventory-service")
            && producer.contains("1, 2")
            && producer.contains("publishes v2 ×10")
            && producer.contains("publish both v1 and v2 until phase 5"),
        "{producer}"
    );
    let order = ui
        .text("table.parties[data-environment='production'] tr[data-service='order-service']")
        .await;
    for part in [
        "consumer",
        "consumes v1 ×10, last ",
        " UTC (just now)",
        "trace 0000",
    ] {
        assert!(order.contains(part), "{part} in {order}");
    }
    assert_eq!(
        ui.text(
            "table.parties[data-environment='production'] tr[data-service='order-service'] td.duty"
        )
        .await,
        "accept v2: seam.toml lists only v1; add inventory.stock_reserved@2 and deploy"
    );
    let unknown = ui
        .text("table.parties[data-environment='production'] tr[data-role='unknown reader']")
        .await;
    assert!(
        unknown.contains("legacy-audit")
            && unknown.contains("consumes v1 ×10")
            && unknown.contains(
                "reads inventory.stock_reserved v1 with no deployed seam.toml that says so"
            ),
        "{unknown}"
    );
    let staging = ui.text("table.parties[data-environment='staging']").await;
    assert!(staging.contains("nothing in the window"), "{staging}");
    assert_eq!(
        ui.count("table.parties[data-environment='staging'] tbody tr")
            .await,
        1
    );

    // The history: the start, then the advance with the evidence it rested on.
    assert_eq!(ui.count("#steps tbody tr").await, 2);
    let advance = ui.text("#steps tr[data-action='advance']").await;
    assert!(
        advance.contains("tok-ci")
            && advance.contains("spans show inventory-service publishing v2"),
        "{advance}"
    );
    ui.screenshot("migration").await;

    // The producer's page leads to its migrations.
    ui.open("/services/inventory-service").await;
    assert_eq!(ui.count("table.migrations tbody tr").await, 2);
    ui.browser
        .find(Locator::Css(
            "table.migrations tr[data-message='inventory.stock_released'] a",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(ui.text("h1").await, "inventory.stock_released v1 → v2");
    assert!(
        ui.text("main")
            .await
            .contains("Aborted: the gates no longer apply")
    );
    ui.close().await;
}

/// A message name is free text in the API: on the pages it is text, never markup, and it reaches its page
/// through a percent-encoded path.
const HOSTILE: &str = "<script>document.title='pwned'</script>/?#%";

async fn hostile_store(dir: &tempfile::TempDir) -> Store {
    let store = Store::open(&format!("sqlite:{}", dir.path().join("r.db").display()))
        .await
        .unwrap();
    store
        .publish(&inventory("1", &[(HOSTILE, &[1, 2])], &[]))
        .await
        .unwrap();
    store
        .start_migration("inventory-service", &start_of(HOSTILE), "<b>tok</b>")
        .await
        .unwrap();
    store
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_message_name_is_text_and_an_unknown_migration_is_not_found() {
    let Some(driver_path) = chromedriver() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = hostile_store(&dir).await;
    let ui = browse(store, dir, driver_path).await;

    ui.open("/migrations").await;
    assert_eq!(ui.count("script").await, 0);
    let row = ui.text("table.migrations tbody tr").await;
    assert!(row.contains(HOSTILE), "{row}");
    ui.browser
        .find(Locator::Css(
            "table.migrations tbody tr a[href^='/migrations/']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(ui.text("h1").await, format!("{HOSTILE} v1 → v2"));
    assert_eq!(
        ui.browser.title().await.unwrap(),
        format!("{HOSTILE} v1 → v2 · Seamline registry")
    );
    assert_eq!(ui.count("script").await, 0);
    assert!(ui.text("#steps").await.contains("<b>tok</b>"));

    ui.open("/migrations/inventory-service/inventory.nothing")
        .await;
    assert_eq!(
        ui.browser.title().await.unwrap(),
        "Not Found · Seamline registry"
    );
    assert_eq!(
        ui.text("p.error").await,
        "inventory-service has no migration of inventory.nothing; start one with `seam migrate start`"
    );
    ui.screenshot("migration-not-found").await;
    ui.close().await;
}

/// The same through the router, everywhere: the markup escaped, the statuses of what is not there or not a name.
#[tokio::test]
async fn migration_pages_escape_names_and_answer_404_and_400() {
    let empty = tempfile::tempdir().unwrap();
    let none = Store::open(&format!("sqlite:{}", empty.path().join("r.db").display()))
        .await
        .unwrap();
    let (status, list) = get_page(&none, "/migrations").await;
    assert_eq!(status, 200, "{list}");
    assert!(
        list.contains("No migration yet") && !list.contains("<table"),
        "{list}"
    );

    let dir = tempfile::tempdir().unwrap();
    let store = hostile_store(&dir).await;
    let (status, list) = get_page(&store, "/migrations").await;
    assert_eq!(status, 200, "{list}");
    assert!(!list.contains("<script>"), "{list}");
    assert!(list.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;/?#%"));
    let href = "/migrations/inventory-service/%3Cscript%3Edocument.title%3D%27pwned%27%3C%2Fscript%3E%2F%3F%23%25";
    assert!(list.contains(&format!("href=\"{href}\"")), "{list}");
    let (status, page) = get_page(&store, href).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        !page.contains("<script>") && !page.contains("<b>tok"),
        "{page}"
    );
    assert!(page.contains("&lt;b&gt;tok&lt;/b&gt;"));

    let (status, missing) =
        get_page(&store, "/migrations/inventory-service/inventory.nothing").await;
    assert_eq!(status, 404);
    assert!(
        missing.contains("<title>Not Found · Seamline registry</title>"),
        "{missing}"
    );
    assert_eq!(
        get_page(&store, "/migrations/nobody/inventory.nothing")
            .await
            .0,
        404
    );
    assert_eq!(
        get_page(&store, "/migrations/inventory-service/a%00b")
            .await
            .0,
        400
    );
    assert_eq!(
        get_page(&store, "/migrations/inventory-service/a%0Ab")
            .await
            .0,
        400
    );
    assert_eq!(
        get_page(&store, "/migrations/..%2Fx/inventory.nothing")
            .await
            .0,
        400
    );
    // Private reads: the pages ask for a token as the others do, before anything is looked up.
    let private = || Settings {
        private_reads: true,
        ..Default::default()
    };
    for uri in [
        "/migrations",
        href,
        "/migrations/inventory-service/inventory.nothing",
    ] {
        let (status, page) = get_page_with(&store, private(), uri).await;
        assert_eq!(status, 401, "{uri}");
        assert!(!page.contains("pwned"), "{page}");
    }
    let long = "m".repeat(257);
    assert_eq!(
        get_page(&store, &format!("/migrations/inventory-service/{long}"))
            .await
            .0,
        400
    );
}
