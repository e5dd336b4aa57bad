//! What the runtime takes from `seam.toml`: the HTTP policy for a partner, the bindings of an events consumer,
//! and whether the upcasters accept exactly the message versions the manifest lists.

use std::path::Path;
use std::time::Duration;

use seamline_model::Manifest;
use seamline_runtime::ConsumerConfig;
use seamline_runtime::Upcasters;
use seamline_runtime::http::Policy;

fn order_service() -> Manifest {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/checkout/order-service");
    seamline_runtime::read_manifest(&dir).unwrap()
}

#[test]
fn a_manifest_with_problems_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("seam.toml"),
        "[service]\nname = \"shop\"\n\n[[consumes.events]]\nservice = \"stock\"\n",
    )
    .unwrap();
    let err = seamline_runtime::read_manifest(dir.path()).unwrap_err();
    assert!(err.contains("seam.toml:4: "), "{err}");
    assert!(err.ends_with("; `seam lint` shows every problem"), "{err}");
    let missing = seamline_runtime::read_manifest(&dir.path().join("nowhere")).unwrap_err();
    assert!(missing.contains("nowhere"), "{missing}");
}

fn upcasters(messages: &[&str]) -> Upcasters<()> {
    messages
        .iter()
        .fold(Upcasters::new(), |u, m| u.accept(m, |_| Ok(())))
}

#[test]
fn the_policy_comes_from_the_manifest() {
    let manifest = order_service();
    let p = Policy::for_partner(&manifest, "payment-service")
        .expect("order-service calls payment-service");
    assert_eq!(p.timeout, Duration::from_millis(2000));
    assert_eq!(p.attempts, 3);
    assert_eq!(
        Policy::for_partner(&manifest, "inventory-service"),
        None,
        "events, not HTTP"
    );
}

#[test]
fn a_consumer_is_bound_to_the_messages_the_manifest_lists() {
    let manifest = order_service();
    let config = ConsumerConfig::for_partner(&manifest, "inventory-service", "inventory", "q")
        .expect("order-service consumes inventory-service's events");
    // Two versions of one message are one binding.
    assert_eq!(
        config.bindings,
        [
            "inventory.stock_reserved",
            "inventory.stock_reservation_failed"
        ]
    );
    assert_eq!(
        (config.exchange.as_str(), config.queue.as_str()),
        ("inventory", "q")
    );
    assert_eq!(
        ConsumerConfig::for_partner(&manifest, "payment-service", "x", "q").unwrap_err(),
        "seam.toml consumes no events of payment-service"
    );
    // No `retry`: the default attempts.
    assert_eq!(config.max_attempts, 5);

    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/checkout/notification-service");
    let notification = seamline_runtime::read_manifest(&dir).unwrap();
    let config =
        ConsumerConfig::for_partner(&notification, "order-service", "orders", "q").unwrap();
    assert_eq!(config.bindings, ["order.confirmed"]);
    assert_eq!(config.max_attempts, 3, "retry = {{ attempts = 3 }}");
    assert!(!config.constant_backoff, "exponential");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("seam.toml"),
        "[service]\nname = \"shop\"\n\n[[consumes.events]]\nservice = \"stock\"\ncontract = \"stock-events\"\n\
         messages = [\"stock.reserved@1\"]\ndead_letter = \"shop.stock.dlq\"\n\
         retry = { attempts = 2, backoff = \"constant\" }\n",
    )
    .unwrap();
    let shop = seamline_runtime::read_manifest(dir.path()).unwrap();
    let config = ConsumerConfig::for_partner(&shop, "stock", "stock", "q").unwrap();
    assert_eq!((config.max_attempts, config.constant_backoff), (2, true));
}

#[test]
fn upcasters_must_accept_exactly_the_listed_versions() {
    let manifest = order_service();
    let all = [
        "inventory.stock_reserved@1",
        "inventory.stock_reserved@2",
        "inventory.stock_reservation_failed@1",
    ];
    assert_eq!(
        upcasters(&all).check(&manifest, "inventory-service"),
        Ok(())
    );

    let missing = upcasters(&all[..2])
        .check(&manifest, "inventory-service")
        .unwrap_err();
    assert_eq!(
        missing,
        "seam.toml lists inventory.stock_reservation_failed@1 but no upcaster accepts it"
    );

    let extra = upcasters(&[&all[..], &["inventory.stock_reserved@3"]].concat())
        .check(&manifest, "inventory-service")
        .unwrap_err();
    assert!(
        extra.starts_with("inventory.stock_reserved@3 is accepted but seam.toml does not list it"),
        "{extra}"
    );

    let none = upcasters(&all)
        .check(&manifest, "payment-service")
        .unwrap_err();
    assert_eq!(none, "seam.toml consumes no events of payment-service");
}
