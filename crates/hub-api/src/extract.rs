//! Request extractors that turn every kind of bad input into a problem naming what is wrong:
//! JSON bodies, query strings, path ids and the bearer key.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use hub_core::ErrorCode;
use hub_core::access::{Permission, Principal};
use secrecy::SecretString;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::problem::ApiError;

/// A JSON body, parsed strictly: `application/json` only, unknown fields refused, and each error
/// names the field it concerns.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_some_and(|mime| {
                let mime = mime.trim();
                mime.eq_ignore_ascii_case("application/json") || mime.to_ascii_lowercase().ends_with("+json")
            });
        if !is_json {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "send the body as Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(request, state).await.map_err(|rejection| match rejection {
            BytesRejection::FailedToBufferBody(failure) if failure.status().as_u16() == 413 => ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!("the body is larger than {} bytes", crate::MAX_BODY_BYTES),
            ),
            other => ApiError::new(ErrorCode::InvalidRequest, format!("could not read the body: {other}")),
        })?;
        parse_json(&bytes).map(Json)
    }
}

/// Parses JSON with the path of the first error.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::new(ErrorCode::InvalidRequest, format!("the body is not valid JSON: {inner}"));
        }
        let message = strip_position(&inner.to_string());
        // serde reports unknown and missing fields at the parent; name the field itself.
        let field = backticked(&message)
            .filter(|_| message.starts_with("unknown field") || message.starts_with("missing field"))
            .map(|name| match path.as_str() {
                "." => name.to_owned(),
                _ if path.rsplit('.').next() == Some(name) => path.clone(),
                _ => format!("{path}.{name}"),
            })
            .unwrap_or(path);
        if field == "." { ApiError::new(ErrorCode::InvalidRequest, message) } else { ApiError::field(field, message) }
    })?;
    deserializer.end().map_err(|error| {
        ApiError::new(ErrorCode::InvalidRequest, format!("unexpected data after the JSON value: {error}"))
    })?;
    Ok(value)
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

fn backticked(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(&message[start..end])
}

/// Query-string parameters; a bad value is a 400 that names the parameter.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let axum::extract::Query(value) = axum::extract::Query::<T>::from_request_parts(parts, state).await.map_err(
            |rejection: QueryRejection| {
                let text = rejection.body_text();
                let message = text.strip_prefix("Failed to deserialize query string: ").unwrap_or(&text).to_owned();
                match message.split_once(": ") {
                    Some((field, reason)) if !field.contains(' ') => ApiError::field(field, reason),
                    _ => match backticked(&message) {
                        Some(field) => ApiError::field(field, message.clone()),
                        None => ApiError::new(ErrorCode::InvalidRequest, message),
                    },
                }
            },
        )?;
        Ok(Query(value))
    }
}

/// A path parameter parsed into a typed id; a malformed id is a 400 on `id`.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let axum::extract::Path(value) =
            axum::extract::Path::<T>::from_request_parts(parts, state).await.map_err(|rejection: PathRejection| {
                let text = rejection.body_text();
                let reason = text.rsplit_once(": ").map_or(text.as_str(), |(_, reason)| reason).to_owned();
                ApiError::field("id", reason)
            })?;
        Ok(Path(value))
    }
}

/// The authenticated caller, from `Authorization: Bearer <key>`.
pub struct Auth(pub Principal);

impl Auth {
    /// Refuses with 403 unless the caller's role allows `permission`.
    pub fn require(&self, permission: Permission) -> Result<&Principal, ApiError> {
        if self.0.may(permission) { Ok(&self.0) } else { Err(ApiError::forbidden()) }
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| ApiError::unauthenticated("send an API key as `Authorization: Bearer <key>`"))?;
        let presented = header
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
            .map(|key| SecretString::from(key.trim().to_owned()))
            .ok_or_else(|| ApiError::unauthenticated("the Authorization header must be `Bearer <key>`"))?;
        for hash in state.hasher.candidate_hashes(&presented) {
            if let Some(key) = state.store.find_api_key_by_hash(&hash).await? {
                return key
                    .principal()
                    .map(Auth)
                    .ok_or_else(|| ApiError::unauthenticated("this API key has been revoked"));
            }
        }
        Err(ApiError::unauthenticated("the API key is not valid"))
    }
}

/// The request id the middleware assigned (also sent back as `x-request-id`).
pub struct RequestId(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(RequestId(
            parts
                .extensions
                .get::<tower_http::request_id::RequestId>()
                .and_then(|id| id.header_value().to_str().ok())
                .map(str::to_owned),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        count: u32,
    }

    fn field_of(bytes: &str) -> Option<String> {
        parse_json::<Body>(bytes.as_bytes()).expect_err(bytes).errors.first().map(|e| e.field.clone())
    }

    #[test]
    fn json_errors_name_the_field() {
        assert_eq!(field_of(r#"{"name": 5, "count": 1}"#).as_deref(), Some("name"));
        assert_eq!(field_of(r#"{"name": "x", "count": 1, "extra": true}"#).as_deref(), Some("extra"));
        assert_eq!(field_of(r#"{"name": "x"}"#).as_deref(), Some("count"));
        assert_eq!(field_of(r#"{"name": "x", "count": -1}"#).as_deref(), Some("count"));
        let malformed = parse_json::<Body>(b"{\"name\": ").expect_err("eof");
        assert!(malformed.errors.is_empty() && malformed.detail.contains("not valid JSON"));
        assert!(parse_json::<Body>(br#"{"name": "x", "count": 1} []"#).is_err(), "trailing data");
    }
}
