//! A JSON reader (RFC 8259) that records spans and reports problems instead of failing.

use crate::node::finish_object;
use crate::{Limits, Member, Node, ProblemKind, Span, SyntaxProblem, Value};

pub(crate) fn parse(
    text: &str,
    limits: &Limits,
    problems: &mut Vec<SyntaxProblem>,
) -> Option<Node> {
    let mut reader = Reader {
        bytes: text.as_bytes(),
        text,
        pos: 0,
        depth: 0,
        limits,
        problems,
    };
    reader.skip_ws();
    if reader.pos == reader.bytes.len() {
        reader.error(reader.pos, "the file is empty; expected a JSON value");
        return None;
    }
    let root = reader.value().ok()?;
    reader.skip_ws();
    if reader.pos < reader.bytes.len() {
        reader.error(
            reader.pos,
            "unexpected text after the end of the JSON value",
        );
        return None;
    }
    Some(root)
}

/// The reader stops at the first syntax error: what follows a JSON syntax error cannot be trusted.
struct Stop;

struct Reader<'a, 'p> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
    depth: usize,
    limits: &'a Limits,
    problems: &'p mut Vec<SyntaxProblem>,
}

impl Reader<'_, '_> {
    fn error(&mut self, at: usize, message: impl Into<String>) -> Stop {
        let end = (at + 1).min(self.bytes.len()).max(at);
        let end = (end..=self.bytes.len())
            .find(|&e| self.text.is_char_boundary(e))
            .unwrap_or(self.bytes.len());
        self.problems.push(SyntaxProblem::new(
            ProblemKind::Syntax,
            Span::new(at as u32, end as u32),
            message,
        ));
        Stop
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn found(&self) -> String {
        match self.text[self.pos..].chars().next() {
            None => "the end of the file".to_owned(),
            Some(c) => format!("`{}`", c.escape_debug()),
        }
    }

    fn value(&mut self) -> Result<Node, Stop> {
        let start = self.pos;
        match self.bytes.get(self.pos) {
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => {
                let s = self.string()?;
                Ok(Node::new(Value::String(s.into()), self.span(start)))
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            _ => {
                let found = self.found();
                Err(self.error(self.pos, format!("expected a JSON value, found {found}")))
            }
        }
    }

    fn span(&self, start: usize) -> Span {
        Span::new(start as u32, self.pos as u32)
    }

    fn enter(&mut self) -> Result<(), Stop> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            let at = self.pos;
            self.problems.push(SyntaxProblem::new(
                ProblemKind::TooDeep,
                Span::new(at as u32, at as u32 + 1),
                format!("nesting deeper than {} levels", self.limits.max_depth),
            ));
            return Err(Stop);
        }
        Ok(())
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Node, Stop> {
        let start = self.pos;
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(Node::new(value, self.span(start)))
        } else {
            Err(self.error(start, format!("expected `{word}`")))
        }
    }

    fn object(&mut self) -> Result<Node, Stop> {
        let start = self.pos;
        self.enter()?;
        self.pos += 1;
        let mut members = Vec::new();
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                let key_start = self.pos;
                if self.bytes.get(self.pos) != Some(&b'"') {
                    let found = self.found();
                    return Err(self.error(
                        self.pos,
                        format!("expected a string key in double quotes, found {found}"),
                    ));
                }
                let key = self.string()?;
                let key_span = self.span(key_start);
                self.skip_ws();
                if self.bytes.get(self.pos) != Some(&b':') {
                    let found = self.found();
                    return Err(self.error(
                        self.pos,
                        format!("expected `:` after the key, found {found}"),
                    ));
                }
                self.pos += 1;
                self.skip_ws();
                let value = self.value()?;
                members.push(Member {
                    key: key.into(),
                    key_span,
                    value,
                });
                self.skip_ws();
                match self.bytes.get(self.pos) {
                    Some(b',') => self.pos += 1,
                    Some(b'}') => {
                        self.pos += 1;
                        break;
                    }
                    _ => {
                        let found = self.found();
                        return Err(self.error(
                            self.pos,
                            format!("expected `,` or `}}` after an object member, found {found}"),
                        ));
                    }
                }
            }
        }
        self.depth -= 1;
        let object = finish_object(members, self.problems);
        Ok(Node::new(Value::Object(object), self.span(start)))
    }

    fn array(&mut self) -> Result<Node, Stop> {
        let start = self.pos;
        self.enter()?;
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                items.push(self.value()?);
                self.skip_ws();
                match self.bytes.get(self.pos) {
                    Some(b',') => self.pos += 1,
                    Some(b']') => {
                        self.pos += 1;
                        break;
                    }
                    _ => {
                        let found = self.found();
                        return Err(self.error(
                            self.pos,
                            format!("expected `,` or `]` after an array item, found {found}"),
                        ));
                    }
                }
            }
        }
        self.depth -= 1;
        Ok(Node::new(Value::Array(items), self.span(start)))
    }

    fn number(&mut self) -> Result<Node, Stop> {
        let start = self.pos;
        let digits = |r: &mut Self| {
            let from = r.pos;
            while r.bytes.get(r.pos).is_some_and(u8::is_ascii_digit) {
                r.pos += 1;
            }
            r.pos > from
        };
        if self.bytes[self.pos] == b'-' {
            self.pos += 1;
        }
        let int_start = self.pos;
        if !digits(self) {
            return Err(self.error(self.pos, "expected a digit"));
        }
        if self.bytes[int_start] == b'0' && self.pos - int_start > 1 {
            return Err(self.error(int_start, "numbers may not have leading zeros"));
        }
        let mut float = false;
        if self.bytes.get(self.pos) == Some(&b'.') {
            float = true;
            self.pos += 1;
            if !digits(self) {
                return Err(self.error(self.pos, "expected a digit after the decimal point"));
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.pos) {
            float = true;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.pos) {
                self.pos += 1;
            }
            if !digits(self) {
                return Err(self.error(self.pos, "expected a digit in the exponent"));
            }
        }
        let raw = &self.text[start..self.pos];
        let value = match (float, raw.parse::<i64>()) {
            (false, Ok(i)) => Value::Int(i),
            _ => Value::Float(raw.parse::<f64>().unwrap_or(f64::NAN)),
        };
        Ok(Node::new(value, self.span(start)))
    }

    /// Reads a string starting at the opening quote, leaving `pos` after the closing one.
    fn string(&mut self) -> Result<String, Stop> {
        let open = self.pos;
        self.pos += 1;
        let mut out = String::new();
        let mut run = self.pos;
        loop {
            let Some(&b) = self.bytes.get(self.pos) else {
                return Err(self.error(open, "this string is never closed"));
            };
            match b {
                b'"' => {
                    out.push_str(&self.text[run..self.pos]);
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => {
                    out.push_str(&self.text[run..self.pos]);
                    self.escape(&mut out)?;
                    run = self.pos;
                }
                0..=0x1f => {
                    return Err(self.error(
                        self.pos,
                        "control characters must be escaped inside strings",
                    ));
                }
                _ => self.pos += 1,
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), Stop> {
        let at = self.pos;
        self.pos += 1;
        let c = match self.bytes.get(self.pos) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let high = self.hex4(at)?;
                let c = if (0xD800..0xDC00).contains(&high)
                    && self.bytes[self.pos..].starts_with(b"\\u")
                {
                    self.pos += 2;
                    let low = self.hex4(at)?;
                    if (0xDC00..0xE000).contains(&low) {
                        char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
                    } else {
                        None
                    }
                } else {
                    char::from_u32(high)
                };
                // A lone surrogate cannot be held in a Rust string; it becomes U+FFFD as in most readers.
                out.push(c.unwrap_or('\u{FFFD}'));
                return Ok(());
            }
            _ => return Err(self.error(at, "unknown escape sequence")),
        };
        out.push(c);
        self.pos += 1;
        Ok(())
    }

    fn hex4(&mut self, escape_at: usize) -> Result<u32, Stop> {
        let hex = self
            .bytes
            .get(self.pos..self.pos + 4)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u32::from_str_radix(h, 16).ok());
        match hex {
            Some(v) => {
                self.pos += 4;
                Ok(v)
            }
            None => Err(self.error(escape_at, "expected four hex digits after `\\u`")),
        }
    }
}
