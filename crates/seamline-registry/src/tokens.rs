//! Access tokens. A token is a random secret shown once; the registry keeps only its SHA-256 (the secret has 192
//! bits of entropy, so a slow password hash would add nothing). Each token carries scopes: `read`,
//! `publish:<service>`, `deploy:<environment>` or `admin`.

use std::fmt;
use std::str::FromStr;

use sqlx::Row;

use crate::store::{Store, StoreError, now_ms};

/// What a token may do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Read everything (needed only when reads are private).
    Read,
    /// Publish versions of this one service.
    Publish(String),
    /// Record deployments to this one environment.
    Deploy(String),
    /// Everything.
    Admin,
}

impl FromStr for Scope {
    type Err = String;

    fn from_str(text: &str) -> Result<Scope, String> {
        let scope = match text.split_once(':') {
            None if text == "read" => Scope::Read,
            None if text == "admin" => Scope::Admin,
            Some(("publish", service)) if crate::valid_name(service) => {
                Scope::Publish(service.into())
            }
            Some(("deploy", env)) if crate::valid_name(env) => Scope::Deploy(env.into()),
            _ => {
                return Err(format!(
                    "`{text}` is not a scope: use read, publish:<service>, deploy:<environment> or admin"
                ));
            }
        };
        Ok(scope)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Read => f.write_str("read"),
            Scope::Publish(service) => write!(f, "publish:{service}"),
            Scope::Deploy(env) => write!(f, "deploy:{env}"),
            Scope::Admin => f.write_str("admin"),
        }
    }
}

/// The scopes of the token a request came with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub token_id: String,
    pub scopes: Vec<Scope>,
}

impl Grant {
    pub fn may_publish(&self, service: &str) -> bool {
        self.scopes
            .iter()
            .any(|s| *s == Scope::Admin || matches!(s, Scope::Publish(x) if x == service))
    }

    pub fn may_deploy(&self, environment: &str) -> bool {
        self.scopes
            .iter()
            .any(|s| *s == Scope::Admin || matches!(s, Scope::Deploy(x) if x == environment))
    }
}

/// A token as listed: never its secret.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_ms: i64,
    pub revoked_ms: Option<i64>,
}

/// A token just created: the only time its secret is known.
#[derive(Clone, Debug, PartialEq)]
pub struct NewToken {
    pub id: String,
    pub secret: String,
}

/// Secrets start with this, so a leaked one is recognisable (and secret scanners can be taught it).
const PREFIX: &str = "seam_";

fn random_hex(bytes: usize) -> Result<String, StoreError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| StoreError::Random(e.to_string()))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

impl Store {
    /// Creates a token with `scopes`; the secret in the answer is not stored and cannot be shown again.
    pub async fn create_token(&self, name: &str, scopes: &[Scope]) -> Result<NewToken, StoreError> {
        let id = random_hex(6)?;
        let secret = format!("{PREFIX}{}", random_hex(24)?);
        let scopes: Vec<String> = scopes.iter().map(Scope::to_string).collect();
        let _turn = self.write_turn().await;
        sqlx::query(
            "INSERT INTO tokens (id, name, secret_hash, scopes, created_ms) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(name)
        .bind(seamline_model::sha256_hex(secret.as_bytes()))
        .bind(scopes.join(" "))
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(NewToken { id, secret })
    }

    /// Every token, revoked ones too, oldest first.
    pub async fn tokens(&self) -> Result<Vec<TokenInfo>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, scopes, created_ms, revoked_ms FROM tokens ORDER BY created_ms, id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let scopes: String = r.try_get("scopes")?;
                Ok(TokenInfo {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    scopes: scopes.split_whitespace().map(str::to_owned).collect(),
                    created_ms: r.try_get("created_ms")?,
                    revoked_ms: r.try_get("revoked_ms")?,
                })
            })
            .collect()
    }

    /// Revokes the token `id`; false when there is no such token or it was revoked already.
    pub async fn revoke_token(&self, id: &str) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        let done =
            sqlx::query("UPDATE tokens SET revoked_ms = $1 WHERE id = $2 AND revoked_ms IS NULL")
                .bind(now_ms())
                .bind(id)
                .execute(self.pool())
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The grant of a presented secret, or `None` when it is unknown or revoked.
    pub async fn grant(&self, secret: &str) -> Result<Option<Grant>, StoreError> {
        if !secret.starts_with(PREFIX) {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT id, scopes FROM tokens WHERE secret_hash = $1 AND revoked_ms IS NULL",
        )
        .bind(seamline_model::sha256_hex(secret.as_bytes()))
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let scopes: String = row.try_get("scopes")?;
        Ok(Some(Grant {
            token_id: row.try_get("id")?,
            // Written by `create_token` from parsed scopes; one that no longer parses grants nothing.
            scopes: scopes
                .split_whitespace()
                .filter_map(|s| s.parse().ok())
                .collect(),
        }))
    }
}
