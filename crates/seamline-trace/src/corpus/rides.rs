//! A second system, with other names and more hops, on Kafka: edge-api `POST /rides` (a 4 s deadline) →
//! booking-api `POST /bookings`, which asks pricing-svc for a quote (no client timeout; three attempts on 5xx) and
//! promo-svc for promotions (optional), stores the booking in MySQL and publishes `ride.requested`. dispatch-worker
//! consumes it, asks a third-party maps API for an ETA and publishes `driver.matched`; fleet-svc consumes that,
//! updates its MySQL and publishes `ride.assigned`, which booking-api waits for (2 s): two brokered hops between
//! the waiter and its reply.

use super::FaultKind;
use super::scenario::{Broker, MS, Manifest, Message, Op, Request};

pub(super) const RIDE_REQUESTED: Message = Message {
    name: "ride.requested",
    destination: "ride.requested",
    task: "dispatch.tasks.match_driver",
    broker: Broker::Kafka,
    astray: "ride-requested",
    astray_task: "dispatch.tasks.match_drivers",
};
pub(super) const DRIVER_MATCHED: Message = Message {
    name: "driver.matched",
    destination: "driver.matched",
    task: "fleet.tasks.assign_driver",
    broker: Broker::Kafka,
    astray: "driver-matched",
    astray_task: "fleet.tasks.assign_drivers",
};
pub(super) const RIDE_ASSIGNED: Message = Message {
    name: "ride.assigned",
    destination: "ride.assigned",
    task: "booking.tasks.ride_assigned",
    broker: Broker::Kafka,
    astray: "ride-assigned",
    astray_task: "booking.tasks.ride_assign",
};

pub(super) const MANIFESTS: &[Manifest] = &[
    Manifest {
        service: "booking-api",
        consumes: &[RIDE_ASSIGNED],
        publishes: &[(RIDE_REQUESTED, None)],
    },
    Manifest {
        service: "dispatch-worker",
        consumes: &[RIDE_REQUESTED],
        publishes: &[(DRIVER_MATCHED, Some(RIDE_REQUESTED))],
    },
    Manifest {
        service: "fleet-svc",
        consumes: &[DRIVER_MATCHED],
        publishes: &[(RIDE_ASSIGNED, Some(DRIVER_MATCHED))],
    },
];

const WAIT_MS: u64 = 2000;
const DEADLINE_MS: u64 = 4000;

fn mysql(operation: &'static str, table: &'static str) -> Op {
    Op::Db {
        system: "mysql",
        operation,
        table,
        host: "mysql-rides.internal",
    }
}

/// Builds one ride request under `entry`, starting at `start`, with `fault` injected; returns edge-api's server span.
pub(super) fn build(r: &mut Request, entry: Option<usize>, start: u64, fault: FaultKind) -> usize {
    let edge = r.add(
        entry,
        "edge-api",
        Op::Server {
            method: "POST",
            route: "/rides",
            status: 200,
        },
        start,
        0,
    );
    super::checkout::tolerated_failure(
        r,
        edge,
        "geo-svc",
        "/geo/resolve",
        start + MS / 5,
        "geocoder quota exceeded",
    );
    let call_at = start + 2 * MS;
    let (booking_client, booking) =
        r.call(edge, "booking-api", "POST", "/bookings", call_at, 0, 201);
    let mut t = call_at + MS;
    let end = |r: &mut Request, end: u64, status: u16, why: &str| {
        r.answer(booking, status, end);
        r.answer(booking_client, status, end + MS / 2);
        r.answer(edge, status, end + MS);
        if status >= 500 {
            r.fail(booking, "BookingFailed", why);
            r.fail(
                booking_client,
                "HttpError",
                format!("{status} from booking-api"),
            );
            r.fail(edge, "RideFailed", why);
        }
        edge
    };

    // A quote from pricing-svc, up to three attempts on a 5xx.
    let attempts = if fault == FaultKind::SyncError { 3 } else { 1 };
    for attempt in 0..attempts {
        let took = if fault == FaultKind::Timeout {
            9000 * MS
        } else {
            20 * MS
        };
        let (quote_client, quote) = r.call(booking, "pricing-svc", "GET", "/quote", t, took, 200);
        r.add(
            Some(quote),
            "pricing-svc",
            Op::Db {
                system: "redis",
                operation: "GET",
                table: "zones",
                host: "redis-pricing.internal",
            },
            t + MS,
            MS,
        );
        let surge = r.add(
            Some(quote),
            "pricing-svc",
            Op::Internal {
                name: "compute surge",
            },
            t + 3 * MS,
            2 * MS,
        );
        match fault {
            FaultKind::SyncError => {
                r.fail(
                    surge,
                    "ZeroDivisionError",
                    "division by zero in the surge factor of zone 12",
                );
                r.label(surge);
                r.answer(quote, 500, t + 6 * MS);
                r.fail(quote, "QuoteFailed", "surge could not be computed");
                r.answer(quote_client, 500, t + 7 * MS);
                r.fail(quote_client, "HttpError", "500 from pricing-svc");
                t += 8 * MS + (40 << attempt) * MS;
            }
            FaultKind::Timeout => {
                // The zone query hangs; booking-api has no timeout on the call, so edge-api's deadline fires while
                // everything below it is still running.
                let select = r.add(
                    Some(quote),
                    "pricing-svc",
                    Op::Db {
                        system: "postgresql",
                        operation: "SELECT",
                        table: "zones",
                        host: "pg-pricing.internal",
                    },
                    t + 6 * MS,
                    8990 * MS,
                );
                r.label(select);
                let gave_up = start + DEADLINE_MS * MS;
                r.answer(booking, 201, t + took + 3 * MS);
                r.answer(booking_client, 504, gave_up);
                r.fail(
                    booking_client,
                    "DeadlineExceeded",
                    "context deadline exceeded",
                );
                r.answer(edge, 504, gave_up + MS);
                r.fail(edge, "DeadlineExceeded", "deadline of 4000 ms exceeded");
                return edge;
            }
            _ => {
                r.add(
                    Some(quote),
                    "pricing-svc",
                    Op::Db {
                        system: "postgresql",
                        operation: "SELECT",
                        table: "zones",
                        host: "pg-pricing.internal",
                    },
                    t + 6 * MS,
                    10 * MS,
                );
                t += took + MS;
            }
        }
    }
    if fault == FaultKind::SyncError {
        return end(r, t, 502, "no quote after 3 attempts");
    }
    if fault == FaultKind::ClientError {
        r.label(booking);
        return end(r, t + MS, 400, "pickup is outside the service area");
    }

    // Promotions are optional: a failure there does not fail the booking.
    let (promo_client, promo) = r.call(booking, "promo-svc", "GET", "/promos", t, 8 * MS, 200);
    let load = r.add(
        Some(promo),
        "promo-svc",
        Op::Internal {
            name: "load promos",
        },
        t + MS,
        4 * MS,
    );
    if fault == FaultKind::NonFatal {
        r.fail(load, "KeyError", "'campaign_id'");
        r.label(load);
        r.answer(promo, 500, t + 6 * MS);
        r.fail(promo, "PromoFailed", "promotions unavailable");
        r.answer(promo_client, 500, t + 7 * MS);
        r.fail(promo_client, "HttpError", "500 from promo-svc");
    }
    t += 9 * MS;
    r.add(
        Some(booking),
        "booking-api",
        mysql("INSERT", "bookings"),
        t,
        4 * MS,
    );
    t += 5 * MS;

    // ride.requested → dispatch-worker → driver.matched → fleet-svc → ride.assigned → booking-api.
    let requested = r.publish(booking, RIDE_REQUESTED, 1, false, t);
    let wait = r.add(
        Some(booking),
        "booking-api",
        Op::Wait {
            message: RIDE_ASSIGNED,
            step: "RideFlow.waitForDriver",
            timeout_ms: WAIT_MS,
        },
        t + MS,
        0,
    );
    let wait_start = t + MS;
    let after = r.rng.between(3 * MS, 9 * MS);
    let deliveries = if fault == FaultKind::CrashLoop { 3 } else { 1 };
    let mut dispatch = r.consume(requested, "dispatch-worker", after, 30 * MS);
    for attempt in 1..deliveries {
        r.fail(dispatch, "KeyError", "'pickup'");
        dispatch = r.consume(
            requested,
            "dispatch-worker",
            after + attempt * 200 * MS,
            4 * MS,
        );
    }
    let mut reply = None;
    let d_start = r.nodes[dispatch].start;
    if fault == FaultKind::CrashLoop {
        r.fail(dispatch, "KeyError", "'pickup'");
        r.label(dispatch);
    } else {
        let eta = r.add(
            Some(dispatch),
            "dispatch-worker",
            Op::Client {
                method: "GET",
                route: "/v1/eta",
                peer: "maps.example.com",
                status: Some(200),
            },
            d_start + MS,
            15 * MS,
        );
        if fault == FaultKind::UninstrumentedDependency {
            r.answer(eta, 503, d_start + 16 * MS);
            r.fail(
                eta,
                "HttpError",
                "503 Service Unavailable from maps.example.com",
            );
            r.label(eta);
            r.fail(dispatch, "EtaUnavailable", "no ETA for the pickup");
        } else {
            let astray = fault == FaultKind::WrongRoutingKey;
            let matched = r.publish(dispatch, DRIVER_MATCHED, 1, astray, d_start + 20 * MS);
            if astray {
                r.label(matched);
            } else {
                let after = r.rng.between(2 * MS, 6 * MS);
                let fleet = r.consume(matched, "fleet-svc", after, 10 * MS);
                let f_start = r.nodes[fleet].start;
                let update = r.add(
                    Some(fleet),
                    "fleet-svc",
                    mysql("UPDATE", "drivers"),
                    f_start + MS,
                    3 * MS,
                );
                let mut publish_at = f_start + 5 * MS;
                if fault == FaultKind::LatePublish {
                    r.nodes[update].end = f_start + 2500 * MS;
                    r.fail(
                        update,
                        "OperationalError",
                        "(1213, 'Deadlock found when trying to get lock; try restarting transaction')",
                    );
                    r.label(update);
                    r.add(
                        Some(fleet),
                        "fleet-svc",
                        mysql("UPDATE", "drivers"),
                        f_start + 2501 * MS,
                        3 * MS,
                    );
                    publish_at = f_start + 2505 * MS;
                    r.nodes[fleet].end = publish_at + 2 * MS;
                }
                if fault == FaultKind::MissingPublish {
                    r.label(fleet);
                } else {
                    let version = if fault == FaultKind::VersionRejected {
                        2
                    } else {
                        1
                    };
                    let assigned = r.publish(fleet, RIDE_ASSIGNED, version, false, publish_at);
                    let back = r.rng.between(2 * MS, 5 * MS);
                    let consumer = r.consume(assigned, "booking-api", back, 3 * MS);
                    if fault == FaultKind::VersionRejected {
                        r.fail(
                            consumer,
                            "UnsupportedVersion",
                            "unsupported schema version 2 for ride.assigned: v2 is not accepted",
                        );
                        r.label(consumer);
                    } else {
                        reply = Some(r.nodes[consumer].end);
                    }
                }
            }
        }
    }
    let reply = reply.filter(|&at| at <= wait_start + WAIT_MS * MS);
    let Some(at) = reply else {
        r.nodes[wait].end = wait_start + WAIT_MS * MS;
        r.fail(wait, "TimeoutError", "timed out after 2000 ms");
        return end(
            r,
            wait_start + WAIT_MS * MS + 2 * MS,
            500,
            "no driver assigned in time",
        );
    };
    r.nodes[wait].end = at.max(wait_start + MS);
    end(r, r.nodes[wait].end + 2 * MS, 201, "")
}
