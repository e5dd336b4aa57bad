//! One storage suite, run on SQLite always and on PostgreSQL when `DATABASE_URL` names one (CI sets it; with
//! `SEAMLINE_REQUIRE_SERVICES=1` a missing PostgreSQL fails the run instead of skipping).

mod common;

use seamline_registry::{Publication, PublishOutcome, Store, StoreError, content_hash};

fn publication(service: &str, version: &str, body: &str) -> Publication {
    Publication {
        service: service.into(),
        owner: Some("team-checkout".into()),
        version: version.into(),
        git_commit: Some("4f2a1c0".into()),
        branch: Some("main".into()),
        manifest: format!("[service]\nname = \"{service}\"\n"),
        contracts: vec![
            (
                "contracts/api.yaml".into(),
                format!("openapi: 3.1.0\n# {body}\n"),
            ),
            ("contracts/events.yaml".into(), "asyncapi: 3.0.0\n".into()),
        ],
    }
}

/// Runs `suite` against a fresh SQLite file and, when configured, a fresh PostgreSQL database.
async fn on_every_backend<F, Fut>(suite: F)
where
    F: Fn(Store) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    common::on_every_backend(|store, _| suite(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn versions_are_immutable_and_publishing_is_idempotent() {
    on_every_backend(|store| async move {
        let first = publication("inventory-service", "1.4.0", "a");
        assert_eq!(
            store.publish(&first).await.unwrap(),
            PublishOutcome::Created
        );
        assert_eq!(
            store.publish(&first).await.unwrap(),
            PublishOutcome::Unchanged
        );
        let mut reordered = first.clone();
        reordered.contracts.reverse();
        reordered.git_commit = Some("another".into());
        assert_eq!(
            store.publish(&reordered).await.unwrap(),
            PublishOutcome::Unchanged,
            "the hash is of content"
        );

        let changed = publication("inventory-service", "1.4.0", "b");
        let err = store.publish(&changed).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
        assert!(
            err.to_string()
                .contains("inventory-service 1.4.0 is already published with other content")
        );

        assert_eq!(
            store
                .publish(&publication("inventory-service", "1.5.0", "b"))
                .await
                .unwrap(),
            PublishOutcome::Created
        );
        let versions = store
            .versions("inventory-service", None, 100)
            .await
            .unwrap();
        let names: Vec<&str> = versions.iter().map(|v| v.version.as_str()).collect();
        assert!(
            names == ["1.5.0", "1.4.0"] || versions[0].created_ms == versions[1].created_ms,
            "{names:?}"
        );

        let stored = store
            .version("inventory-service", "1.4.0")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            stored.summary.content_hash,
            content_hash(&first.manifest, &first.contracts)
        );
        assert_eq!(stored.contracts.len(), 2);
        assert_eq!(stored.contracts[0].0, "contracts/api.yaml");
        assert_eq!(
            stored.contracts[0].1, "openapi: 3.1.0\n# a\n",
            "the first content stays, the conflict wrote nothing"
        );
        assert!(
            store
                .version("inventory-service", "9.9.9")
                .await
                .unwrap()
                .is_none()
        );

        let services = store.services().await.unwrap();
        assert_eq!(services.len(), 1);
        assert_eq!(
            (services[0].versions, services[0].owner.as_deref()),
            (2, Some("team-checkout"))
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deployments_per_environment() {
    on_every_backend(|store| async move {
        let err = store
            .record_deployment("production", "order-service", "1.0.0")
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::UnknownVersion { .. }), "{err}");
        for version in ["1.0.0", "1.1.0"] {
            store
                .publish(&publication("order-service", version, version))
                .await
                .unwrap();
        }
        store
            .publish(&publication("payment-service", "2.0.0", "p"))
            .await
            .unwrap();
        store
            .record_deployment("production", "order-service", "1.0.0")
            .await
            .unwrap();
        store
            .record_deployment("production", "payment-service", "2.0.0")
            .await
            .unwrap();
        store
            .record_deployment("staging", "order-service", "1.1.0")
            .await
            .unwrap();
        store
            .record_deployment("production", "order-service", "1.1.0")
            .await
            .unwrap();
        let production: Vec<(String, String)> = store
            .deployed("production")
            .await
            .unwrap()
            .into_iter()
            .map(|d| (d.service, d.version))
            .collect();
        assert_eq!(
            production,
            [
                ("order-service".into(), "1.1.0".into()),
                ("payment-service".into(), "2.0.0".into())
            ]
        );
        let environments: Vec<(String, i64)> = store
            .environments()
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.name, e.services))
            .collect();
        assert_eq!(
            environments,
            [("production".into(), 2), ("staging".into(), 1)]
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_publishes_race_safely() {
    on_every_backend(|store| async move {
        // The same version, the same content, eight times at once: one creates it, the others find it.
        let same: Vec<_> = (0..8)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .publish(&publication("order-service", "3.0.0", "x"))
                        .await
                })
            })
            .collect();
        let mut created = 0;
        for task in same {
            match task.await.unwrap().unwrap() {
                PublishOutcome::Created => created += 1,
                PublishOutcome::Unchanged => {}
            }
        }
        assert_eq!(created, 1);
        // Different services at once all land.
        let different: Vec<_> = (0..8)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .publish(&publication(&format!("svc-{i}"), "1.0.0", "y"))
                        .await
                })
            })
            .collect();
        for task in different {
            assert_eq!(task.await.unwrap().unwrap(), PublishOutcome::Created);
        }
        // The same version with different content at once: one wins, the other is a conflict, nothing mixes.
        let a = {
            let store = store.clone();
            tokio::spawn(async move { store.publish(&publication("race", "1.0.0", "a")).await })
        };
        let b = {
            let store = store.clone();
            tokio::spawn(async move { store.publish(&publication("race", "1.0.0", "b")).await })
        };
        let outcomes = [a.await.unwrap(), b.await.unwrap()];
        assert_eq!(
            outcomes
                .iter()
                .filter(|o| matches!(o, Ok(PublishOutcome::Created)))
                .count(),
            1
        );
        assert_eq!(
            outcomes
                .iter()
                .filter(|o| matches!(o, Err(StoreError::Conflict { .. })))
                .count(),
            1
        );
        let stored = store.version("race", "1.0.0").await.unwrap().unwrap();
        let body = stored.contracts[0].1.clone();
        assert_eq!(
            stored.summary.content_hash,
            content_hash(
                &stored.manifest,
                &[
                    ("contracts/api.yaml".into(), body),
                    ("contracts/events.yaml".into(), "asyncapi: 3.0.0\n".into()),
                ]
            )
        );
        assert_eq!(store.services().await.unwrap().len(), 10);
    })
    .await;
}

#[test]
fn the_content_hash_ignores_order_and_sees_boundaries() {
    let a = vec![
        ("x".to_string(), "1".to_string()),
        ("y".to_string(), "2".to_string()),
    ];
    let b = vec![
        ("y".to_string(), "2".to_string()),
        ("x".to_string(), "1".to_string()),
    ];
    assert_eq!(content_hash("m", &a), content_hash("m", &b));
    let shifted = vec![
        ("x".to_string(), "1y".to_string()),
        ("".to_string(), "2".to_string()),
    ];
    assert_ne!(content_hash("m", &a), content_hash("m", &shifted));
    assert_ne!(content_hash("m", &a), content_hash("n", &a));
}

#[tokio::test]
async fn a_bad_database_url_is_refused_with_a_reason() {
    let err = Store::open("mysql://localhost/x").await.unwrap_err();
    assert!(
        err.to_string()
            .contains("must start with sqlite: or postgres:"),
        "{err}"
    );
}

/// Each service's latest version and its number of versions are kept as versions are published; the versions
/// come a page at a time, newest first, and what a service consumes is what its latest version says.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn latest_versions_counts_and_pages_of_versions() {
    on_every_backend(|store| async move {
        for v in 0..7 {
            store
                .publish(&publication("catalog", &format!("1.{v}.0"), &v.to_string()))
                .await
                .unwrap();
        }
        let consumer = |version: &str, consumes: bool| {
            let mut p = publication("storefront", version, version);
            if consumes {
                p.manifest.push_str(
                    "\n[[consumes.http]]\nservice = \"catalog\"\ncontract = \"catalog-api\"\noperations = [\"getItem\"]\n",
                );
            }
            p
        };
        store.publish(&consumer("2.0.0", true)).await.unwrap();
        assert_eq!(store.edges().await.unwrap().len(), 1);
        assert_eq!(store.consumers_of("catalog").await.unwrap().len(), 1);
        // Publishing the same version again changes no count.
        store.publish(&consumer("2.0.0", true)).await.unwrap();
        // The latest version consumes nothing any more.
        store.publish(&consumer("2.1.0", false)).await.unwrap();
        assert_eq!(store.edges().await.unwrap(), Vec::new());
        assert_eq!(store.consumers_of("catalog").await.unwrap(), Vec::new());

        let services = store.services().await.unwrap();
        let summary: Vec<(&str, i64, Option<&str>)> = services
            .iter()
            .map(|s| (s.name.as_str(), s.versions, s.latest.as_deref()))
            .collect();
        assert_eq!(
            summary,
            [("catalog", 7, Some("1.6.0")), ("storefront", 2, Some("2.1.0"))]
        );
        let one = store.service("catalog").await.unwrap().unwrap();
        assert_eq!((one.versions, one.latest.as_deref()), (7, Some("1.6.0")));
        assert_eq!(store.service("nobody").await.unwrap(), None);

        // Pages of three, each after the last of the one before, until one is short.
        let mut seen = Vec::new();
        let mut before: Option<String> = None;
        loop {
            let page = store
                .versions("catalog", before.as_deref(), 3)
                .await
                .unwrap();
            seen.extend(page.iter().map(|v| v.version.clone()));
            if page.len() < 3 {
                break;
            }
            before = page.last().map(|v| v.version.clone());
        }
        // Newest first: published later, or at the same millisecond a later name.
        let all = store.versions("catalog", None, 100).await.unwrap();
        let names: Vec<String> = all.iter().map(|v| v.version.clone()).collect();
        assert_eq!(seen, names);
        assert_eq!(names.len(), 7);
        assert!(
            all.windows(2)
                .all(|w| (w[0].created_ms, &w[0].version) > (w[1].created_ms, &w[1].version))
        );
        assert_eq!(names[0], "1.6.0");
        assert!(matches!(
            store.versions("catalog", Some("9.9.9"), 3).await,
            Err(StoreError::UnknownVersion { .. })
        ));

        // Versions of one service published at once: each counted once, and the latest is the newest stored.
        let racing: Vec<_> = (0..16)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .publish(&publication("busy", &format!("0.{i}.0"), "z"))
                        .await
                })
            })
            .collect();
        for task in racing {
            assert_eq!(task.await.unwrap().unwrap(), PublishOutcome::Created);
        }
        let busy = store.service("busy").await.unwrap().unwrap();
        let newest = store.versions("busy", None, 1).await.unwrap();
        assert_eq!(busy.versions, 16);
        assert_eq!(busy.latest.as_deref(), Some(newest[0].version.as_str()));
    })
    .await;
}

/// The services page asks only for the edges of the services it shows: those from or to a range of names.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_edges_of_a_range_of_services() {
    on_every_backend(|store| async move {
        let consuming = |service: &str, provider: &str| {
            let mut p = publication(service, "1.0.0", service);
            p.manifest.push_str(&format!(
                "\n[[consumes.http]]\nservice = \"{provider}\"\ncontract = \"{provider}-api\"\noperations = [\"get\"]\n"
            ));
            p
        };
        for p in [
            consuming("a-web", "m-orders"),
            consuming("m-orders", "z-payments"),
            consuming("z-payments", "m-orders"),
            publication("b-idle", "1.0.0", "b"),
        ] {
            store.publish(&p).await.unwrap();
        }
        let all = store.edges().await.unwrap();
        assert_eq!(all.len(), 3);
        for (after, last) in [("", "a-web"), ("a-web", "m-orders"), ("", "zzz"), ("m-orders", "zzz")] {
            let within = |name: &str| name > after && name <= last;
            let expected: Vec<_> = all
                .iter()
                .filter(|e| within(&e.consumer) || within(&e.provider))
                .cloned()
                .collect();
            assert_eq!(
                store.edges_of_range(after, last).await.unwrap(),
                expected,
                "({after}, {last}]"
            );
        }
        assert_eq!(store.edges_of_range("b-idle", "b-idle").await.unwrap(), []);
    })
    .await;
}
