//! A small HTTP client for the sequencer API (used by `clearproof submit` and tests).

use serde_json::Value;

/// A sequencer's answer: HTTP status and JSON body.
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// JSON body (`null` if the body was not JSON).
    pub body: Value,
}

impl Answer {
    /// The error code of a 4xx/5xx answer.
    pub fn code(&self) -> Option<&str> {
        self.body.get("error")?.get("code")?.as_str()
    }
}

/// Client for one sequencer base URL (`http://127.0.0.1:8080`).
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    http: reqwest::Client,
}

impl Client {
    /// A client for `base`.
    pub fn new(base: &str) -> Self {
        Self { base: base.trim_end_matches('/').to_string(), http: reqwest::Client::new() }
    }

    async fn answer(response: reqwest::Response) -> Result<Answer, reqwest::Error> {
        let status = response.status().as_u16();
        let bytes = response.bytes().await?;
        Ok(Answer { status, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null) })
    }

    /// POSTs raw bytes to `path`.
    pub async fn post_raw(&self, path: &str, body: Vec<u8>) -> Result<Answer, reqwest::Error> {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await?;
        Self::answer(response).await
    }

    /// Submits one JSON line: deposits (`"type": "deposit"`) go to `/v1/deposits`,
    /// everything else to `/v1/transactions`.
    pub async fn submit_line(&self, line: &str) -> Result<Answer, reqwest::Error> {
        let is_deposit = serde_json::from_str::<Value>(line)
            .ok()
            .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(|t| t == "deposit"))
            .unwrap_or(false);
        let path = if is_deposit { "/v1/deposits" } else { "/v1/transactions" };
        self.post_raw(path, line.as_bytes().to_vec()).await
    }

    /// GETs `path`.
    pub async fn get(&self, path: &str) -> Result<Answer, reqwest::Error> {
        Self::answer(self.http.get(format!("{}{path}", self.base)).send().await?).await
    }
}
