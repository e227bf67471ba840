//! A TCP proxy between an app under test and DynamoDB Local that the test steers: pass
//! requests through, hang them, drop the connection mid-request, refuse (reset) it, or answer
//! like a throttled DynamoDB. It speaks just enough HTTP/1.1 to count requests: every
//! connection carries one request (the proxy asks both sides for `Connection: close`), so
//! "request n" is "connection n", and a fault can start at the n-th DynamoDB call of a request.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Holds each request this long, then closes the connection without passing it on (a hung
    /// DynamoDB: the client's attempt timeouts must give up first). Nothing reaches DynamoDB, so
    /// the outcome is deterministic; a real hung DynamoDB that wakes up may still apply a write
    /// after the client has been answered 503 (see README, Operating).
    Hang(Duration),
    /// Reads the request's headers, then closes the connection: nothing reaches DynamoDB.
    Drop,
    /// Resets the connection as soon as it is accepted (as a dead DynamoDB would refuse it).
    Refuse,
    /// Answers `400 ThrottlingException` as DynamoDB does; nothing reaches DynamoDB.
    Throttle,
}

#[derive(Default)]
struct State {
    /// The active fault and the request number from which it applies.
    fault: Option<(Fault, u64)>,
    seen: u64,
}

pub struct FaultProxy {
    address: SocketAddr,
    state: Arc<Mutex<State>>,
}

const THROTTLED: &str = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}"#;

impl FaultProxy {
    /// Listens on 127.0.0.1 (a free port) in front of the DynamoDB at `upstream` (a URL).
    pub async fn start(upstream: &str) -> FaultProxy {
        let upstream: SocketAddr = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .replace("localhost", "127.0.0.1")
            .parse()
            .expect("DYNAMODB_ENDPOINT is http://host:port");
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let fault = {
                    let mut state = shared.lock().unwrap();
                    let number = state.seen;
                    state.seen += 1;
                    state.fault.filter(|(_, from)| number >= *from).map(|(fault, _)| fault)
                };
                tokio::spawn(serve(client, upstream, fault));
            }
        });
        FaultProxy { address, state }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// `fault` for the `after`-th request from now (0: the next one) and every one after it,
    /// until `heal`.
    pub fn inject(&self, fault: Fault, after: u64) {
        let mut state = self.state.lock().unwrap();
        state.fault = Some((fault, state.seen + after));
    }

    pub fn heal(&self) {
        self.state.lock().unwrap().fault = None;
    }
}

async fn serve(mut client: TcpStream, upstream: SocketAddr, fault: Option<Fault>) {
    if fault == Some(Fault::Refuse) {
        let _ = client.set_zero_linger();
        return;
    }
    let Some((head, body)) = read_message(&mut client, fault == Some(Fault::Drop)).await else {
        return;
    };
    match fault {
        Some(Fault::Drop) | Some(Fault::Refuse) => return,
        Some(Fault::Throttle) => {
            let reply = format!(
                "HTTP/1.1 400 Bad Request\r\nContent-Type: application/x-amz-json-1.0\r\nx-amzn-RequestId: fault-proxy\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{THROTTLED}",
                THROTTLED.len()
            );
            let _ = client.write_all(reply.as_bytes()).await;
            let _ = client.shutdown().await;
            return;
        }
        Some(Fault::Hang(pause)) => {
            let mut probe = [0u8; 1];
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                // The client gave up (its attempt timed out).
                _ = client.read(&mut probe) => {}
            }
            return;
        }
        None => {}
    }
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        let _ = client.set_zero_linger();
        return;
    };
    if server.write_all(&closing(&head)).await.is_err() || server.write_all(&body).await.is_err() {
        return;
    }
    let mut reply = Vec::new();
    if server.read_to_end(&mut reply).await.is_err() {
        return;
    }
    let split = find(&reply, b"\r\n\r\n").map_or(reply.len(), |at| at + 4);
    let _ = client.write_all(&closing(&reply[..split])).await;
    let _ = client.write_all(&reply[split..]).await;
    let _ = client.shutdown().await;
}

/// Reads one HTTP message (head, then a `Content-Length` body); with `head_only`, stops after
/// the head, so the caller can drop the connection mid-request.
async fn read_message(stream: &mut TcpStream, head_only: bool) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = find(&buffer, b"\r\n\r\n") {
            break at + 4;
        }
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let body_start = buffer.split_off(head_end);
    if head_only {
        return Some((buffer, Vec::new()));
    }
    let length = String::from_utf8_lossy(&buffer)
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = body_start;
    while body.len() < length {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..read]);
    }
    Some((buffer, body))
}

/// A message head with its `Connection` header replaced by `Connection: close`.
fn closing(head: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(head);
    let mut lines: Vec<&str> = text
        .split("\r\n")
        .filter(|line| !line.is_empty())
        .filter(|line| !line.to_ascii_lowercase().starts_with("connection:"))
        .collect();
    lines.push("Connection: close");
    format!("{}\r\n\r\n", lines.join("\r\n")).into_bytes()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
