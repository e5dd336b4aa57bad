//! Field types that accept what real exporters send: ids in any hex case or base64, 64-bit numbers as strings or
//! bare numbers, enums as integers or names. A field of the wrong type becomes "invalid" instead of failing the
//! whole document, so one bad span is skipped and reported while its neighbours are read.

use std::borrow::Cow;
use std::fmt;

use base64::Engine as _;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::model::{SpanId, TraceId, Value};

/// A string field; `None` inside when the input held something else.
#[derive(Debug, Default)]
pub(crate) struct LStr<'a>(pub Option<Cow<'a, str>>);

/// An unsigned integer sent as a number or a decimal string.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct LU64(pub Option<u64>);

/// An enum sent as its number or its name.
#[derive(Debug, Default)]
pub(crate) enum LEnum<'a> {
    #[default]
    Invalid,
    Int(i64),
    Name(Cow<'a, str>),
}

/// A bare JSON scalar (Jaeger tag values, Zipkin tags), kept as a model value.
#[derive(Debug, Default)]
pub(crate) struct Scalar(pub Option<Value>);

/// Consumes whatever value is there; used by the visitors for the types they do not accept.
fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

fn skip_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Implements the visitor methods that turn an unexpected value type into the "invalid" outcome.
macro_rules! reject_others {
    ($invalid:expr, [$($skip:ident),*]) => {
        $(reject_others!(@one $skip, $invalid);)*
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($invalid)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($invalid)
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            skip_map(map)?;
            Ok($invalid)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            skip_seq(seq)?;
            Ok($invalid)
        }
    };
    (@one bool, $invalid:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($invalid)
        }
    };
    (@one num, $invalid:expr) => {
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($invalid)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($invalid)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($invalid)
        }
    };
    (@one str, $invalid:expr) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($invalid)
        }
    };
}

impl<'de: 'a, 'a> Deserialize<'de> for LStr<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(LStr(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(LStr(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(LStr(Some(Cow::Owned(v))))
            }
            reject_others!(LStr(None), [bool, num]);
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for LU64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LU64;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an unsigned integer")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(LU64(Some(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(LU64(u64::try_from(v).ok()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(LU64((0.0..1.9e19).contains(&v).then_some(v as u64)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(LU64(v.trim().parse().ok()))
            }
            reject_others!(LU64(None), [bool]);
        }
        d.deserialize_any(V)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for LEnum<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LEnum<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an enum number or name")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(i64::try_from(v).map_or(LEnum::Invalid, LEnum::Int))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(LEnum::Int(v))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(LEnum::Name(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(LEnum::Name(Cow::Owned(v.to_string())))
            }
            reject_others!(LEnum::Invalid, [bool]);
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(LEnum::Invalid)
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scalar")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Scalar(Some(Value::Bool(v))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Scalar(Some(
                    i64::try_from(v).map_or(Value::Float(v as f64), Value::Int),
                )))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Scalar(Some(Value::Int(v))))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Scalar(Some(Value::Float(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Scalar(Some(Value::Str(v.into()))))
            }
            reject_others!(Scalar(None), []);
        }
        d.deserialize_any(V)
    }
}

impl LStr<'_> {
    pub(crate) fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// A required trace id field; the error names the field as the format spells it.
    pub(crate) fn required_trace_id(&self, field: &str) -> Result<TraceId, String> {
        let text = self
            .as_deref()
            .ok_or_else(|| format!("the span has no {field}"))?;
        trace_id(text).map_err(|e| format!("{field}: {e}"))
    }

    /// A required span id field.
    pub(crate) fn required_span_id(&self, field: &str) -> Result<SpanId, String> {
        let text = self
            .as_deref()
            .ok_or_else(|| format!("the span has no {field}"))?;
        span_id(text).map_err(|e| format!("{field}: {e}"))
    }

    /// An optional span id field (a parent): absent or empty is `None`, present but unreadable is an error.
    pub(crate) fn optional_span_id(&self, field: &str) -> Result<Option<SpanId>, String> {
        match self.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(text) => span_id(text).map(Some).map_err(|e| format!("{field}: {e}")),
        }
    }
}

/// Why an id could not be read.
pub(crate) fn trace_id(text: &str) -> Result<TraceId, String> {
    if let Some(id) = hex_id(text, 16) {
        return Ok(TraceId(id));
    }
    decode_id(text, 16)
        .map(|bytes| TraceId(bytes.iter().fold(0u128, |acc, b| acc << 8 | u128::from(*b))))
}

pub(crate) fn span_id(text: &str) -> Result<SpanId, String> {
    if let Some(id) = hex_id(text, 8) {
        return Ok(SpanId(id as u64));
    }
    decode_id(text, 8)
        .map(|bytes| SpanId(bytes.iter().fold(0u64, |acc, b| acc << 8 | u64::from(*b))))
}

/// The common case without allocating: exactly `width` bytes as hex digits, in any case. Anything else (shorter
/// ids, base64, spaces) goes the long way through [`decode_id`].
fn hex_id(text: &str, width: usize) -> Option<u128> {
    if text.len() != width * 2 {
        return None;
    }
    text.bytes().try_fold(0u128, |acc, b| {
        let digit = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => return None,
        };
        Some(acc << 4 | u128::from(digit))
    })
}

/// Hex in any case (shorter ids are widened, as 64-bit Zipkin and Jaeger trace ids are), or base64 of the raw
/// bytes, which some exporters write when they serialise protobuf `bytes` fields with a generic JSON mapper.
fn decode_id(text: &str, width: usize) -> Result<Vec<u8>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("the id is empty".into());
    }
    if text.len() <= width * 2 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        let padded = format!("{text:0>w$}", w = width * 2);
        let bytes: Vec<u8> = (0..width)
            .map(|i| u8::from_str_radix(&padded[i * 2..i * 2 + 2], 16).unwrap_or(0))
            .collect();
        return Ok(bytes);
    }
    for engine in [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::URL_SAFE,
    ] {
        if let Ok(bytes) = engine.decode(text)
            && (bytes.len() == width || (width == 16 && bytes.len() == 8))
        {
            let mut widened = vec![0; width - bytes.len()];
            widened.extend(bytes);
            return Ok(widened);
        }
    }
    Err(format!(
        "`{}` is neither {} hex digits nor base64 of {} bytes",
        truncate(text, 40),
        width * 2,
        width
    ))
}

pub(crate) fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_in_any_hex_case_and_base64() {
        let upper = trace_id("5B8EFFF798038103D269B633813FC60C").unwrap();
        assert_eq!(upper, trace_id("5b8efff798038103d269b633813fc60c").unwrap());
        assert_eq!(trace_id("W47/95gDgQPSabYzgT/GDA==").unwrap(), upper);
        assert_eq!(
            trace_id("1e223ff1f80f1c69").unwrap().to_string(),
            "00000000000000001e223ff1f80f1c69"
        );
        assert_eq!(
            span_id("EEE19B7EC3C1B174").unwrap().to_string(),
            "eee19b7ec3c1b174"
        );
        assert_eq!(
            span_id("7uGbfsPBsXQ=").unwrap().to_string(),
            "eee19b7ec3c1b174"
        );
        assert!(span_id("").is_err());
        assert!(span_id("not an id!").unwrap_err().contains("neither"));
        assert!(trace_id("5B8EFFF798038103D269B633813FC60C00").is_err());
    }

    #[test]
    fn numbers_as_strings_enums_as_names() {
        let n: LU64 = serde_json::from_str("\"1544712660000000000\"").unwrap();
        assert_eq!(n.0, Some(1_544_712_660_000_000_000));
        let n: LU64 = serde_json::from_str("1544712660000000000").unwrap();
        assert_eq!(n.0, Some(1_544_712_660_000_000_000));
        let n: LU64 = serde_json::from_str("{\"a\":[1]}").unwrap();
        assert_eq!(n.0, None);
        let e: LEnum = serde_json::from_str("\"SPAN_KIND_SERVER\"").unwrap();
        assert!(matches!(e, LEnum::Name(n) if n == "SPAN_KIND_SERVER"));
        let s: LStr = serde_json::from_str("[1, {\"x\": 2}]").unwrap();
        assert!(s.0.is_none());
    }
}
