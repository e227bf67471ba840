//! Text output: small aligned tables.

use serde_json::Value;

fn text(value: &Value) -> String {
    match value {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn table(headers: &[&str], rows: Vec<Vec<String>>) -> String {
    let widths: Vec<usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([h.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = vec![line(headers.iter().map(|h| h.to_string()).collect())];
    out.extend(rows.into_iter().map(line));
    out.join("\n")
}

pub fn users(result: &Value) -> String {
    let rows = result["users"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|u| {
            ["id", "email", "full_name", "role", "created_at"]
                .iter()
                .map(|f| text(&u[*f]))
                .collect()
        })
        .collect();
    table(&["ID", "Email", "Name", "Role", "Created"], rows)
}

pub fn created_users(created: &[Value]) -> String {
    let rows = created
        .iter()
        .map(|c| {
            let user = &c["user"];
            vec![
                text(&user["id"]),
                text(&user["email"]),
                text(&c["password"]),
                text(&user["role"]),
                text(&user["full_name"]),
            ]
        })
        .collect();
    table(&["ID", "Email", "Password", "Role", "Name"], rows)
}

pub fn outbox(result: &Value) -> String {
    let messages = result["messages"].as_array().cloned().unwrap_or_default();
    if messages.is_empty() {
        return "the outbox is empty".into();
    }
    messages
        .iter()
        .map(|m| {
            format!(
                "{}  to {}\nSubject: {}\n\n{}\n",
                text(&m["created_at"]),
                text(&m["to"]),
                text(&m["subject"]),
                text(&m["body"])
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The key set's keys (`keys list`, and after `keys rotate` / `keys prune`).
pub fn keys(result: &Value) -> String {
    let rows = result["keys"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|k| {
            ["kid", "alg", "state", "created_at", "retired_at", "not_after"]
                .iter()
                .map(|f| text(&k[*f]))
                .collect()
        })
        .collect();
    let mut out = table(
        &["kid", "alg", "state", "created_at", "retired_at", "verifies_until"],
        rows,
    );
    if let Some(source) = result["source"].as_str() {
        out.push_str(&format!("\n(key set: {source})"));
    }
    out
}

pub fn rotation(result: &Value) -> String {
    let mut lines = Vec::new();
    let new_kid = text(&result["new_kid"]);
    if result["staged"] == Value::Bool(true) {
        lines.push(format!(
            "staged {new_kid}: published now, signs after the next `gatehouse keys rotate`"
        ));
    } else {
        lines.push(format!("{new_kid} signs new tokens"));
        if let Some(old) = result["retired_kid"].as_str() {
            lines.push(format!("{old} verifies the tokens it signed until they expire"));
        }
    }
    lines.push(dropped(result));
    lines.push(keys(result));
    lines.retain(|l| !l.is_empty());
    lines.join("\n")
}

pub fn dropped(result: &Value) -> String {
    let kids: Vec<String> = result["dropped"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(text)
        .collect();
    if kids.is_empty() {
        String::new()
    } else {
        format!("dropped {}", kids.join(", "))
    }
}

pub fn prune(result: &Value) -> String {
    let dropped = dropped(result);
    let head = if dropped.is_empty() {
        "nothing to drop".to_string()
    } else {
        dropped
    };
    format!("{head}\n{}", keys(result))
}

/// One page of audit events, newest first; how to ask for the next one when there is more.
pub fn audit(result: &Value) -> String {
    let events = result["events"].as_array().cloned().unwrap_or_default();
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            let actor = match (&e["actor_id"], &e["actor_email"], &e["actor_type"]) {
                (Value::Null, Value::Null, kind) => text(kind),
                (Value::Null, email, _) => text(email),
                (id, _, _) => format!("user {}", text(id)),
            };
            let target = match &e["target_type"] {
                Value::Null => "-".to_string(),
                kind => format!("{} {}", text(kind), text(&e["target_id"])),
            };
            vec![
                text(&e["timestamp"]),
                text(&e["event_type"]),
                actor,
                target,
                text(&e["org_id"]),
                text(&e["ip_address"]),
                text(&e["detail"]),
            ]
        })
        .collect();
    let mut out = if rows.is_empty() {
        "no audit events".to_string()
    } else {
        table(&["Time", "Event", "Actor", "Target", "Org", "IP", "Detail"], rows)
    };
    if let Some(cursor) = result["next_cursor"].as_str() {
        out.push_str(&format!("\nmore: add --cursor {cursor}"));
    }
    out
}
