//! Test set-up shared by the registry's suites: scratch databases on SQLite and PostgreSQL.

#![allow(dead_code)] // each suite uses its own part

use seamline_registry::Store;

/// A store on a fresh SQLite file, with the folder that holds it.
pub async fn sqlite() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&sqlite_url(&dir)).await.unwrap();
    (dir, store)
}

fn sqlite_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite:{}", dir.path().join("registry.db").display())
}

/// A fresh PostgreSQL database, with a connection to the server to drop it.
pub struct Postgres {
    pub store: Store,
    pub url: String,
    name: String,
    admin: sqlx::AnyConnection,
}

impl Postgres {
    pub async fn drop_database(mut self) {
        self.store.close().await;
        sqlx::query(&format!("DROP DATABASE {} WITH (FORCE)", self.name))
            .execute(&mut self.admin)
            .await
            .unwrap();
    }
}

/// A store on a fresh PostgreSQL database; `None` (and a note) without `DATABASE_URL`, which
/// `SEAMLINE_REQUIRE_SERVICES=1` turns into a failure.
pub async fn postgres() -> Option<Postgres> {
    use sqlx::Connection as _;
    let Ok(admin_url) = std::env::var("DATABASE_URL") else {
        assert!(
            std::env::var("SEAMLINE_REQUIRE_SERVICES").is_err(),
            "DATABASE_URL is unset but SEAMLINE_REQUIRE_SERVICES asks for PostgreSQL"
        );
        eprintln!(
            "SKIPPED on PostgreSQL: set DATABASE_URL=postgres://… to run this test there too"
        );
        return None;
    };
    sqlx::any::install_default_drivers();
    let name = format!(
        "seam_test_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let mut admin = sqlx::AnyConnection::connect(&admin_url)
        .await
        .expect("PostgreSQL at DATABASE_URL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let base = admin_url.split('?').next().unwrap();
    let url = format!("{}/{name}", &base[..base.rfind('/').unwrap()]);
    let store = Store::open(&url).await.unwrap();
    Some(Postgres {
        store,
        url,
        name,
        admin,
    })
}

/// Runs `suite` with a store on a fresh SQLite file and, when `DATABASE_URL` names a PostgreSQL server, on a
/// fresh database there. The suite gets the store and its URL.
pub async fn on_every_backend<F, Fut>(suite: F)
where
    F: Fn(Store, String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let (dir, store) = sqlite().await;
    suite(store, sqlite_url(&dir)).await;
    if let Some(pg) = postgres().await {
        suite(pg.store.clone(), pg.url.clone()).await;
        pg.drop_database().await;
    }
}
