//! The seed's checkout: gateway `POST /checkout` → order-service `POST /orders` (its own PostgreSQL) →
//! payment-service `POST /payments`; order-service publishes `order.created` (RabbitMQ), inventory-service consumes
//! it, updates stock and publishes `inventory.stock_reserved`, which order-service waits for (2 s); then
//! order-service publishes `order.confirmed` and notification-service mails the customer through a third party.

use super::FaultKind;
use super::scenario::{Broker, MS, Manifest, Message, Op, Request};

pub(super) const ORDER_CREATED: Message = Message {
    name: "order.created",
    destination: "orders",
    task: "shop.tasks.order_created",
    broker: Broker::Rabbit,
    astray: "order.create",
    astray_task: "shop.tasks.order_create",
};
pub(super) const STOCK_RESERVED: Message = Message {
    name: "inventory.stock_reserved",
    destination: "inventory",
    task: "shop.tasks.stock_reserved",
    broker: Broker::Rabbit,
    astray: "inventory.stock-reserved",
    astray_task: "shop.tasks.stock_reserve",
};
pub(super) const ORDER_CONFIRMED: Message = Message {
    name: "order.confirmed",
    destination: "orders",
    task: "shop.tasks.order_confirmed",
    broker: Broker::Rabbit,
    astray: "order.confirm",
    astray_task: "shop.tasks.order_confirm",
};

/// Who consumes and who publishes what after what, as the services' `seam.toml` would declare it.
pub(super) const MANIFESTS: &[Manifest] = &[
    Manifest {
        service: "order-service",
        consumes: &[STOCK_RESERVED],
        publishes: &[
            (ORDER_CREATED, None),
            (ORDER_CONFIRMED, Some(STOCK_RESERVED)),
        ],
    },
    Manifest {
        service: "inventory-service",
        consumes: &[ORDER_CREATED],
        publishes: &[(STOCK_RESERVED, Some(ORDER_CREATED))],
    },
    Manifest {
        service: "notification-service",
        consumes: &[ORDER_CONFIRMED],
        publishes: &[],
    },
];

const WAIT: u64 = 2000 * MS;

/// Builds one checkout under `entry` (a proxy's span, when one is in front), starting at `start`, with `fault`
/// injected; returns the gateway's server span.
pub(super) fn build(r: &mut Request, entry: Option<usize>, start: u64, fault: FaultKind) -> usize {
    let gateway = r.add(
        entry,
        "gateway",
        Op::Server {
            method: "POST",
            route: "/checkout",
            status: 200,
        },
        start,
        0,
    );
    // Recommendations are optional, and in about one request of four their service answers 503: a failure healthy
    // requests have too.
    tolerated_failure(
        r,
        gateway,
        "recommendation-service",
        "/recommendations",
        start + MS / 2,
        "model is not loaded",
    );
    let call_at = start + 2 * MS;
    let (order_client, order) =
        r.call(gateway, "order-service", "POST", "/orders", call_at, 0, 201);
    let mut t = call_at + 2 * MS;
    let end = |r: &mut Request, end: u64, status: u16, why: &str| {
        r.answer(order, status, end);
        r.answer(order_client, status, end + MS / 2);
        r.answer(gateway, status, end + MS);
        if status >= 500 {
            r.fail(order, "OrderFailed", why);
            r.fail(
                order_client,
                "HttpError",
                format!("{status} from order-service"),
            );
            r.fail(gateway, "CheckoutFailed", why);
        }
        gateway
    };
    if fault == FaultKind::ClientError {
        r.label(order);
        return end(r, t + 3 * MS, 422, "shipping address is missing");
    }
    let insert = r.add(
        Some(order),
        "order-service",
        Op::Db {
            system: "postgresql",
            operation: "INSERT",
            table: "orders",
            host: "pg-orders.internal",
        },
        t,
        4 * MS,
    );
    t += 5 * MS;
    if fault == FaultKind::UninstrumentedDependency {
        r.nodes[insert].end = t + 40 * MS;
        r.fail(
            insert,
            "PSQLException",
            "ERROR: deadlock detected (SQLSTATE 40P01)",
        );
        r.label(insert);
        return end(r, t + 42 * MS, 500, "could not store the order");
    }

    // Payment.
    let payment_took = if fault == FaultKind::Timeout {
        WAIT
    } else {
        30 * MS
    };
    let (pay_client, pay) = r.call(
        order,
        "payment-service",
        "POST",
        "/payments",
        t,
        payment_took,
        201,
    );
    let validate = r.add(
        Some(pay),
        "payment-service",
        Op::Internal {
            name: "validate payment",
        },
        t + MS,
        2 * MS,
    );
    match fault {
        FaultKind::SyncError => {
            r.fail(
                validate,
                "IllegalStateException",
                "currency EUR is not enabled for merchant 118",
            );
            r.label(validate);
            r.answer(pay, 500, t + 4 * MS);
            r.fail(pay, "PaymentFailed", "payment could not be validated");
            r.answer(pay_client, 500, t + 5 * MS);
            r.fail(pay_client, "HttpError", "500 from payment-service");
            return end(r, t + 6 * MS, 500, "payment failed");
        }
        FaultKind::Timeout => {
            let select = r.add(
                Some(pay),
                "payment-service",
                Op::Db {
                    system: "postgresql",
                    operation: "SELECT",
                    table: "accounts",
                    host: "pg-payments.internal",
                },
                t + 4 * MS,
                4900 * MS,
            );
            r.label(select);
            r.answer(pay, 201, t + 4905 * MS);
            r.give_up(pay_client, t + WAIT);
            r.fail(
                pay_client,
                "ReadTimeout",
                "read timed out after 2000 ms calling payment-service",
            );
            return end(r, t + WAIT + 2 * MS, 500, "payment timed out");
        }
        _ => {
            r.add(
                Some(pay),
                "payment-service",
                Op::Db {
                    system: "postgresql",
                    operation: "INSERT",
                    table: "payments",
                    host: "pg-payments.internal",
                },
                t + 4 * MS,
                20 * MS,
            );
        }
    }
    t += payment_took + MS;

    // order.created → inventory-service → inventory.stock_reserved → order-service.
    let created = r.publish(order, ORDER_CREATED, 1, false, t);
    let wait = r.add(
        Some(order),
        "order-service",
        Op::Wait {
            message: STOCK_RESERVED,
            step: "OrderSaga.awaitReservation",
            timeout_ms: WAIT / MS,
        },
        t + MS,
        0,
    );
    let wait_start = t + MS;
    let after = r.rng.between(2 * MS, 6 * MS);
    let deliveries = if fault == FaultKind::CrashLoop { 3 } else { 1 };
    let mut inventory = r.consume(created, "inventory-service", after, 8 * MS);
    for attempt in 1..deliveries {
        r.fail(
            inventory,
            "NullPointerException",
            "Cannot invoke \"Sku.id()\" because \"line.sku\" is null",
        );
        inventory = r.consume(
            created,
            "inventory-service",
            after + attempt * 150 * MS,
            6 * MS,
        );
    }
    let inv_start = r.nodes[inventory].start;
    let mut publish_at = inv_start + 5 * MS;
    let mut reply = None;
    match fault {
        FaultKind::CrashLoop => {
            r.fail(
                inventory,
                "NullPointerException",
                "Cannot invoke \"Sku.id()\" because \"line.sku\" is null",
            );
            r.label(inventory);
        }
        FaultKind::MissingPublish => {
            r.add(
                Some(inventory),
                "inventory-service",
                Op::Db {
                    system: "postgresql",
                    operation: "UPDATE",
                    table: "stock",
                    host: "pg-inventory.internal",
                },
                inv_start + MS,
                3 * MS,
            );
            r.label(inventory);
        }
        _ => {
            let update = r.add(
                Some(inventory),
                "inventory-service",
                Op::Db {
                    system: "postgresql",
                    operation: "UPDATE",
                    table: "stock",
                    host: "pg-inventory.internal",
                },
                inv_start + MS,
                3 * MS,
            );
            if fault == FaultKind::LatePublish {
                // The first attempt waits on a lock until PostgreSQL finds the deadlock; the retry goes through,
                // and the reply is published after order-service gave up.
                r.nodes[update].end = inv_start + 2600 * MS;
                r.fail(
                    update,
                    "PSQLException",
                    "ERROR: deadlock detected (SQLSTATE 40P01)",
                );
                r.label(update);
                r.add(
                    Some(inventory),
                    "inventory-service",
                    Op::Db {
                        system: "postgresql",
                        operation: "UPDATE",
                        table: "stock",
                        host: "pg-inventory.internal",
                    },
                    inv_start + 2601 * MS,
                    3 * MS,
                );
                publish_at = inv_start + 2605 * MS;
                r.nodes[inventory].end = publish_at + 2 * MS;
            }
            let version = if fault == FaultKind::VersionRejected {
                2
            } else {
                1
            };
            let astray = fault == FaultKind::WrongRoutingKey;
            let reserved = r.publish(inventory, STOCK_RESERVED, version, astray, publish_at);
            if astray {
                r.label(reserved);
            } else {
                let back = r.rng.between(2 * MS, 5 * MS);
                let consumer = r.consume(reserved, "order-service", back, 3 * MS);
                if fault == FaultKind::VersionRejected {
                    r.fail(
                        consumer,
                        "UnsupportedVersion",
                        "unsupported schema version 2 for inventory.stock_reserved: v2 is not accepted",
                    );
                    r.label(consumer);
                    let dlq = r.nodes[consumer].start + 2 * MS;
                    r.add(
                        Some(consumer),
                        "order-service",
                        Op::Internal {
                            name: "dead-letter to order-service.dlq",
                        },
                        dlq,
                        MS / 2,
                    );
                } else {
                    reply = Some(r.nodes[consumer].end);
                }
            }
        }
    }
    let reply = reply.filter(|&at| at <= wait_start + WAIT);
    let Some(at) = reply else {
        r.nodes[wait].end = wait_start + WAIT;
        r.fail(wait, "TimeoutError", "timed out after 2000 ms");
        return end(
            r,
            wait_start + WAIT + 2 * MS,
            500,
            "stock reservation timed out",
        );
    };
    r.nodes[wait].end = at.max(wait_start + MS);
    t = r.nodes[wait].end + MS;

    // order.confirmed → notification-service → a third-party mail API.
    let confirmed = r.publish(order, ORDER_CONFIRMED, 1, false, t);
    let notify = r.consume(confirmed, "notification-service", 3 * MS, 6 * MS);
    let mail_at = r.nodes[notify].start + MS;
    let mail = r.add(
        Some(notify),
        "notification-service",
        Op::Client {
            method: "POST",
            route: "/v3/mail/send",
            peer: "api.mailer.example",
            status: Some(202),
        },
        mail_at,
        4 * MS,
    );
    if fault == FaultKind::NonFatal {
        r.answer(mail, 503, mail_at + 4 * MS);
        r.fail(mail, "HttpError", "503 from api.mailer.example");
        r.fail(notify, "MailFailed", "could not send the confirmation");
        r.label(mail);
    }
    end(r, t + 3 * MS, 201, "")
}

/// A call the caller does without when it fails, failing in about one request of four whatever else happens.
pub(super) fn tolerated_failure(
    r: &mut Request,
    parent: usize,
    to: &'static str,
    route: &'static str,
    at: u64,
    why: &'static str,
) {
    let (client, server) = r.call(parent, to, "GET", route, at, MS, 200);
    if r.rng.next().is_multiple_of(4) {
        r.answer(server, 503, at + MS / 2 + MS / 4);
        r.fail(server, "Unavailable", why);
        r.answer(client, 503, at + MS);
        r.fail(client, "HttpError", format!("503 from {to}"));
    }
}
