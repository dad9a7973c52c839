//! Throwaway PostgreSQL databases for tests and benchmarks, and the rule for when PostgreSQL must
//! be there: always under `CI=true`, where its tests are never skipped.

use sqlx::Connection;
use sqlx::postgres::PgConnection;

/// The server tests and benchmarks use unless `HUB_DATABASE_URL` names another.
pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database created for one test or benchmark run and dropped when this value is dropped.
pub struct ScratchDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl ScratchDatabase {
    /// Creates `hub_scratch_<random>` on the server at `admin_url`.
    pub async fn create(admin_url: &str) -> Result<Self, sqlx::Error> {
        let name = format!("hub_scratch_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(admin_url).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut admin).await?;
        admin.close().await?;
        let url = match admin_url.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{name}"),
            None => format!("{admin_url}/{name}"),
        };
        Ok(Self { admin_url: admin_url.to_owned(), name, url })
    }

    /// Creates a scratch database for a test: `None` (with a note on stderr) when PostgreSQL is not
    /// reachable outside CI; a panic under `CI=true`, where skipping would hide a failure.
    pub async fn for_test() -> Option<Self> {
        let admin_url = std::env::var("HUB_DATABASE_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned());
        match Self::create(&admin_url).await {
            Ok(scratch) => Some(scratch),
            Err(error) if std::env::var("CI").is_ok_and(|value| value == "true") => {
                panic!("PostgreSQL tests must run under CI=true, but {admin_url} is unreachable: {error}")
            }
            Err(error) => {
                eprintln!("note: skipping a PostgreSQL test, {admin_url} is unreachable: {error}");
                None
            }
        }
    }

    /// The URL of the scratch database.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let statement = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // Drop may run inside a runtime (or during a panic); a thread of its own can block safely.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin_url).await.ok()?;
                sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&mut admin).await.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("note: could not drop scratch database {}", self.name);
        }
    }
}

/// A migrated SQLite store in a fresh temporary directory, which lives as long as the guard.
pub async fn sqlite_for_test() -> (tempfile::TempDir, crate::SqliteStore) {
    let dir = tempfile::tempdir().expect("a temporary directory for the test database");
    let store = crate::SqliteStore::open(&dir.path().join("hub.db")).await.expect("open the test SQLite database");
    crate::Store::migrate(&store).await.expect("migrate the test SQLite database");
    (dir, store)
}

/// A migrated PostgreSQL store in a fresh scratch database (dropped with the guard); `None` when
/// PostgreSQL is unreachable outside CI (see [`ScratchDatabase::for_test`]).
pub async fn postgres_for_test() -> Option<(ScratchDatabase, crate::PostgresStore)> {
    let database = ScratchDatabase::for_test().await?;
    let store = crate::PostgresStore::connect(database.url()).await.expect("connect to the scratch database");
    crate::Store::migrate(&store).await.expect("migrate the scratch database");
    Some((database, store))
}

/// Expands each `async fn name(store: Arc<dyn Store>)` into a test on SQLite and one on
/// PostgreSQL: suites are written once and run against both backends.
#[macro_export]
macro_rules! tests_on_both_backends {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let (_dir, store) = $crate::scratch::sqlite_for_test().await;
                    super::$test(std::sync::Arc::new(store)).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let Some((_database, store)) = $crate::scratch::postgres_for_test().await else { return };
                    super::$test(std::sync::Arc::new(store)).await;
                }
            )*
        }
    };
}
