//! can-i-deploy against what runs in an environment, judged on what each consumer uses.

use seamline_registry::{Publication, Store};

const ORDER_MANIFEST: &str = r#"[service]
name = "order-service"
owner = "team-checkout"

[[consumes.http]]
service = "payment-service"
contract = "payment-api"
operations = ["createPayment"]
timeout_ms = 2000
"#;

const PAYMENT_MANIFEST: &str = r#"[service]
name = "payment-service"
owner = "team-payments"

[[provides.http]]
name = "payment-api"
spec = "contracts/payment-api.yaml"
"#;

/// The payment API with `createPayment` and `getRefund`; `payment_fields` are the response's required fields.
fn payment_api(with_create: bool, with_refund: bool, extra_field: bool) -> String {
    let mut paths = String::new();
    if with_create {
        paths.push_str(
            "  /payments:\n    post:\n      operationId: createPayment\n      responses:\n        '201':\n          description: created\n          content:\n            application/json:\n              schema:\n                $ref: '#/components/schemas/Payment'\n",
        );
    }
    if with_refund {
        paths.push_str(
            "  /refunds/{id}:\n    get:\n      operationId: getRefund\n      parameters:\n        - name: id\n          in: path\n          required: true\n          schema: {type: string}\n      responses:\n        '200':\n          description: the refund\n",
        );
    }
    let extra = if extra_field {
        "        note: {type: string}\n"
    } else {
        ""
    };
    format!(
        "openapi: 3.1.0\ninfo: {{title: payments, version: '1'}}\npaths:\n{paths}components:\n  schemas:\n    Payment:\n      type: object\n      required: [id]\n      properties:\n        id: {{type: string}}\n{extra}"
    )
}

fn payment(version: &str, api: String) -> Publication {
    Publication {
        service: "payment-service".into(),
        owner: None,
        version: version.into(),
        git_commit: None,
        branch: None,
        manifest: PAYMENT_MANIFEST.into(),
        contracts: vec![("contracts/payment-api.yaml".into(), api)],
    }
}

#[tokio::test]
async fn a_compatible_change_may_go_and_a_breaking_one_may_not() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite:{}", dir.path().join("r.db").display()))
        .await
        .unwrap();
    let v1 = payment_api(true, true, false);
    store.publish(&payment("1", v1.clone())).await.unwrap();
    store
        .publish(&Publication {
            service: "order-service".into(),
            owner: None,
            version: "4f2a1c".into(),
            git_commit: None,
            branch: None,
            manifest: ORDER_MANIFEST.into(),
            contracts: vec![(
                "contracts/vendor/payment-service/payment-api.yaml".into(),
                v1,
            )],
        })
        .await
        .unwrap();
    store
        .record_deployment("production", "payment-service", "1")
        .await
        .unwrap();
    store
        .record_deployment("production", "order-service", "4f2a1c")
        .await
        .unwrap();

    // The consumer as it runs: compatible with the provider it was built against.
    let decision = store
        .can_i_deploy("order-service", "4f2a1c", "production")
        .await
        .unwrap();
    assert!(decision.deployable, "{decision:#?}");
    assert_eq!(decision.pairs.len(), 1);

    // An added optional response field: fine.
    store
        .publish(&payment("2", payment_api(true, true, true)))
        .await
        .unwrap();
    let decision = store
        .can_i_deploy("payment-service", "2", "production")
        .await
        .unwrap();
    assert!(decision.deployable, "{decision:#?}");
    assert_eq!(decision.pairs[0].consumer, "order-service");

    // Removing an operation order-service does not use: fine, for this consumer.
    store
        .publish(&payment("3", payment_api(true, false, false)))
        .await
        .unwrap();
    let decision = store
        .can_i_deploy("payment-service", "3", "production")
        .await
        .unwrap();
    assert!(decision.deployable, "{decision:#?}");

    // Removing the operation it uses: no, with the reason.
    store
        .publish(&payment("4", payment_api(false, true, false)))
        .await
        .unwrap();
    let decision = store
        .can_i_deploy("payment-service", "4", "production")
        .await
        .unwrap();
    assert!(!decision.deployable, "{decision:#?}");
    // Asked again: answered from the verdicts already reached, the same.
    let again = store
        .can_i_deploy("payment-service", "4", "production")
        .await
        .unwrap();
    assert_eq!(again, decision);
    let pair = &decision.pairs[0];
    assert_eq!(
        (
            pair.consumer.as_str(),
            pair.provider.as_str(),
            pair.compatible
        ),
        ("order-service", "payment-service", false)
    );
    assert!(
        pair.reason
            .starts_with("breaking for what order-service uses"),
        "{}",
        pair.reason
    );

    // In an environment where nothing runs, there is nothing to break.
    let decision = store
        .can_i_deploy("payment-service", "4", "staging")
        .await
        .unwrap();
    assert!(
        decision.deployable && decision.pairs.is_empty(),
        "{decision:#?}"
    );
    assert!(
        store
            .can_i_deploy("payment-service", "9", "production")
            .await
            .is_err()
    );
}
