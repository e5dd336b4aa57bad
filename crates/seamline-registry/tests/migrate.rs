//! `seam migrate`'s state machine in the registry, on SQLite and PostgreSQL: each gate refused before its
//! evidence exists and passed after, and can-i-deploy refusing the old version's removal until phase 4.

mod common;

use seamline_registry::migrate::Start;
use seamline_registry::{Publication, Store, StoreError, VersionUse};

const MESSAGE: &str = "inventory.stock_reserved";

/// inventory-events defining `inventory.stock_reserved` in `defined`.
fn contract(defined: &[u32]) -> String {
    let mut messages = String::new();
    for v in defined {
        messages.push_str(&format!(
            "    Reserved{v}:\n      name: inventory.stock_reserved\n      x-version: {v}\n      payload:\n        type: object\n        required: [order_id]\n        properties:\n          order_id: {{type: string}}\n"
        ));
    }
    format!(
        "asyncapi: 3.0.0\ninfo: {{title: inventory, version: '1'}}\nchannels:\n  inventory:\n    address: inventory\ncomponents:\n  messages:\n{messages}"
    )
}

/// inventory-service `version`: its contract defines `defined`, its manifest publishes `published`.
fn inventory(version: &str, defined: &[u32], published: &[u32]) -> Publication {
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
            contract(defined),
        )],
    }
}

/// `service` `version`, accepting `accepts` of the message, built against a copy defining `vendored`.
fn consumer(service: &str, version: &str, accepts: &[u32], vendored: &[u32]) -> Publication {
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
            contract(vendored),
        )],
    }
}

fn seen(service: &str, role: &str, version: &str, at_ms: i64) -> VersionUse {
    VersionUse {
        service: service.into(),
        role: role.into(),
        message: MESSAGE.into(),
        version: version.into(),
        count: 10,
        failed: 0,
        last_seen_ms: at_ms,
        trace_id: Some(format!("{:032x}", at_ms)),
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// The refusal's text, or a failure when the step was not refused.
fn refused<T: std::fmt::Debug>(result: Result<T, StoreError>) -> String {
    match result {
        Err(StoreError::MigrationRefused(why)) => why,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn deploy(store: &Store, service: &str, version: &str) {
    store
        .record_deployment("production", service, version)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_gate_is_refused_before_its_evidence_and_passed_after() {
    common::on_every_backend(|store, _| async move {
        const WINDOW_MS: i64 = 1500;
        store.publish(&inventory("1", &[1], &[1])).await.unwrap();
        deploy(&store, "inventory-service", "1").await;
        store
            .publish(&consumer("order-service", "a", &[1], &[1]))
            .await
            .unwrap();
        deploy(&store, "order-service", "a").await;
        let start = Start {
            contract: "inventory-events".into(),
            message: MESSAGE.into(),
            from: 1,
            to: 2,
            window_ms: Some(WINDOW_MS),
        };

        // Gate 1: the latest contract must define v2 beside v1.
        let why = refused(
            store
                .start_migration("inventory-service", &start, "t")
                .await,
        );
        assert!(
            why.starts_with("gate 1 (new version defined)")
                && why.contains("does not define inventory.stock_reserved v2"),
            "{why}"
        );
        store
            .publish(&inventory("2", &[1, 2], &[1, 2]))
            .await
            .unwrap();
        let status = store
            .start_migration("inventory-service", &start, "t")
            .await
            .unwrap();
        assert_eq!((status.migration.phase, status.next), (1, Some(2)));
        let again = refused(
            store
                .start_migration("inventory-service", &start, "t")
                .await,
        );
        assert!(again.contains("already migrates"), "{again}");

        // Gate 2: the deployed producer publishes both, by its manifest and by its spans.
        let why = refused(
            store
                .advance_migration("inventory-service", MESSAGE, "t")
                .await,
        );
        assert!(
            why.contains(
                "production: inventory-service 1 publishes v1 of inventory.stock_reserved"
            ),
            "{why}"
        );
        deploy(&store, "inventory-service", "2").await;
        let why = refused(
            store
                .advance_migration("inventory-service", MESSAGE, "t")
                .await,
        );
        assert!(
            why.contains("no span shows inventory-service publishing v2"),
            "{why}"
        );
        let t = now_ms();
        store
            .record_usage(
                "production",
                &[
                    seen("inventory-service", "publishes", "1", t),
                    seen("inventory-service", "publishes", "2", t),
                    seen("order-service", "consumes", "1", t),
                ],
            )
            .await
            .unwrap();
        let status = store
            .advance_migration("inventory-service", MESSAGE, "t")
            .await
            .unwrap();
        assert_eq!(status.migration.phase, 2);

        // Gate 3: every deployed consumer accepts v2.
        let why = refused(
            store
                .advance_migration("inventory-service", MESSAGE, "t")
                .await,
        );
        assert!(
            why.contains("production: order-service a accepts only v1"),
            "{why}"
        );
        store
            .publish(&consumer("order-service", "b", &[1, 2], &[1, 2]))
            .await
            .unwrap();
        deploy(&store, "order-service", "b").await;
        store
            .advance_migration("inventory-service", MESSAGE, "t")
            .await
            .unwrap();

        // Removal before phase 4: refused whatever the manifests say, naming the reader.
        store.publish(&inventory("3", &[2], &[2])).await.unwrap();
        let d = store
            .can_i_deploy("inventory-service", "3", "production")
            .await
            .unwrap();
        assert!(!d.deployable, "{d:#?}");
        let removal = &d.removals[0];
        assert_eq!((removal.message.as_str(), removal.version), (MESSAGE, 1));
        assert!(
            removal
                .reason
                .contains("is at phase 3 (consumers accept both)")
                && removal.reason.contains("order-service ×10"),
            "{removal:#?}"
        );
        assert!(
            d.pairs.iter().all(|p| p.reason.contains("phase 3")),
            "the pairs say which phase their verdict depends on: {d:#?}"
        );

        // Gate 4: order-service read v1 just now; and it was not seen on v2.
        let why = refused(
            store
                .advance_migration("inventory-service", MESSAGE, "t")
                .await,
        );
        assert!(
            why.contains("order-service still reads v1")
                && why.contains("no span shows order-service consuming v2")
                && why.contains("only since"),
            "{why}"
        );
        // A window later, order-service reads only v2, and a service nobody declared reads v1.
        tokio::time::sleep(std::time::Duration::from_millis(WINDOW_MS as u64 + 200)).await;
        let t = now_ms();
        store
            .record_usage(
                "production",
                &[
                    seen("order-service", "consumes", "2", t),
                    seen("audit-service", "consumes", "1", t),
                ],
            )
            .await
            .unwrap();
        let why = refused(
            store
                .advance_migration("inventory-service", MESSAGE, "t")
                .await,
        );
        assert!(why.contains("audit-service (an unknown reader"), "{why}");
        assert!(!why.contains("order-service still reads v1"), "{why}");
        let status = store
            .migration_status(
                &store
                    .migration("inventory-service", MESSAGE)
                    .await
                    .unwrap()
                    .unwrap(),
            )
            .await
            .unwrap();
        let roles: Vec<(&str, &str)> = status.environments[0]
            .parties
            .iter()
            .map(|p| (p.service.as_str(), p.role))
            .collect();
        assert_eq!(
            roles,
            [
                ("inventory-service", "producer"),
                ("order-service", "consumer"),
                ("audit-service", "unknown reader")
            ]
        );
        // The unknown reader stops; a window later the gate opens.
        tokio::time::sleep(std::time::Duration::from_millis(WINDOW_MS as u64 + 200)).await;
        store
            .record_usage(
                "production",
                &[seen("order-service", "consumes", "2", now_ms())],
            )
            .await
            .unwrap();
        let status = store
            .advance_migration("inventory-service", MESSAGE, "t")
            .await
            .unwrap();
        assert_eq!(status.migration.phase, 4);
        assert!(
            status.migration.history[3]
                .note
                .contains("nobody consumed v1"),
            "{:#?}",
            status.migration.history
        );

        // Now the producer may drop v1.
        let d = store
            .can_i_deploy("inventory-service", "3", "production")
            .await
            .unwrap();
        assert!(d.deployable, "{d:#?}");
        assert!(d.removals[0].allowed && d.removals[0].reason.contains("passed phase 4"));

        // Gate 5: the deployed producer no longer publishes v1.
        let why = refused(
            store
                .advance_migration("inventory-service", MESSAGE, "t")
                .await,
        );
        assert!(
            why.contains("inventory-service 2 still publishes v1"),
            "{why}"
        );
        deploy(&store, "inventory-service", "3").await;
        let status = store
            .advance_migration("inventory-service", MESSAGE, "t")
            .await
            .unwrap();
        assert_eq!(
            (status.migration.phase, status.migration.state.as_str()),
            (5, "done")
        );
        assert_eq!(status.next, None);
        let why = refused(
            store
                .advance_migration("inventory-service", MESSAGE, "t")
                .await,
        );
        assert!(why.contains("is done"), "{why}");
    })
    .await;
}

/// Without a migration, a removal is judged by who consumed the version within a week; an aborted migration no
/// longer holds anything back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removal_without_a_migration_is_judged_by_its_readers() {
    common::on_every_backend(|store, _| async move {
        store
            .publish(&inventory("1", &[1, 2], &[1, 2]))
            .await
            .unwrap();
        deploy(&store, "inventory-service", "1").await;
        store
            .publish(&consumer("order-service", "b", &[1, 2], &[1, 2]))
            .await
            .unwrap();
        deploy(&store, "order-service", "b").await;
        store.publish(&inventory("2", &[2], &[2])).await.unwrap();
        // No spans at all: the manifests decide (order-service accepts v2 too).
        let d = store
            .can_i_deploy("inventory-service", "2", "production")
            .await
            .unwrap();
        assert!(d.deployable && d.removals.is_empty(), "{d:#?}");
        // order-service read v1 an hour ago: the removal would cut it off.
        let hour_ago = now_ms() - 3_600_000;
        store
            .record_usage(
                "production",
                &[seen("order-service", "consumes", "1", hour_ago)],
            )
            .await
            .unwrap();
        let d = store
            .can_i_deploy("inventory-service", "2", "production")
            .await
            .unwrap();
        assert!(!d.deployable, "{d:#?}");
        assert!(
            d.removals[0]
                .reason
                .contains("still read in production within 7 d")
                && d.removals[0].readers[0].trace_id.as_deref()
                    == Some(format!("{hour_ago:032x}").as_str()),
            "{d:#?}"
        );
        // Another environment with no reader: fine there.
        store
            .record_deployment("staging", "inventory-service", "1")
            .await
            .unwrap();
        let d = store
            .can_i_deploy("inventory-service", "2", "staging")
            .await
            .unwrap();
        assert!(d.deployable, "{d:#?}");

        // A migration started and aborted holds nothing back of its own.
        let start = Start {
            contract: "inventory-events".into(),
            message: MESSAGE.into(),
            from: 1,
            to: 3,
            window_ms: None,
        };
        let why = refused(
            store
                .start_migration("inventory-service", &start, "t")
                .await,
        );
        assert!(
            why.contains("does not define inventory.stock_reserved v1 and v3"),
            "{why}"
        );
        let bad = Start {
            to: 1,
            ..start.clone()
        };
        assert!(
            refused(store.start_migration("inventory-service", &bad, "t").await)
                .contains("from one major version to another")
        );
        let start = Start {
            from: 2,
            to: 1,
            ..start
        };
        // The latest (2) defines only v2: refused too.
        assert!(
            refused(
                store
                    .start_migration("inventory-service", &start, "t")
                    .await
            )
            .contains("v1")
        );
        match store
            .advance_migration("inventory-service", MESSAGE, "t")
            .await
        {
            Err(StoreError::NoMigration(why)) => assert!(why.contains("start one"), "{why}"),
            other => panic!("{other:?}"),
        }
    })
    .await;
}
