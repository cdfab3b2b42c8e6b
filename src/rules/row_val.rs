//! Rows as jq values, straight from their cells ([`crate::tables::row`]): no JSON value is built
//! between the columns and jaq. The value is the one the row's JSON value converts to
//! ([`super::jq::to_val`]): integers as machine or big integers, floats as floats, objects in
//! key order (a `X_json` column's objects too, whatever the order of their text).

use std::fmt;

use anyhow::{Result, anyhow};
use jaq_json::{Map, Num, Val};
use serde::Deserializer as _;
use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};

use crate::tables::row::{Cell, RowCells};

/// A row as a jq object.
pub fn row_val(row: &RowCells) -> Result<Val> {
    let entries = (row.0.iter())
        .map(|(key, cell)| {
            let value =
                cell_val(cell).map_err(|e| anyhow!("column {key}_json holds invalid JSON: {e}"))?;
            Ok((text(key), value))
        })
        .collect::<Result<Map>>()?;
    Ok(Val::obj(entries))
}

/// The object `row` restricted to `keys` (in name order, as `row`'s are); `row` itself when it
/// has no other key.
pub fn project(row: &Val, keys: &[String]) -> Val {
    match row {
        Val::Obj(entries) if entries.len() > keys.len() => Val::obj(
            (keys.iter())
                .filter_map(|key| {
                    let key = text(key);
                    let value = entries.get(&key)?.clone();
                    Some((key, value))
                })
                .collect(),
        ),
        _ => row.clone(),
    }
}

/// A jq string.
fn text(s: &str) -> Val {
    Val::utf8_str(s.as_bytes().to_vec())
}

/// One cell as a jq value; the text of a [`Cell::Json`] parsed.
fn cell_val(cell: &Cell) -> serde_json::Result<Val> {
    Ok(match cell {
        Cell::Null => Val::Null,
        Cell::Bool(b) => Val::Bool(*b),
        Cell::Int(n) => Val::Num(Num::from_integral(*n)),
        Cell::UInt(n) => Val::Num(Num::from_integral(*n)),
        Cell::Float(x) => Val::Num(Num::Float(*x)),
        Cell::Text(s) => text(s),
        Cell::Array(items) => (items.iter())
            .map(cell_val)
            .collect::<serde_json::Result<Val>>()?,
        Cell::Object(entries) => Val::obj(
            (entries.iter())
                .map(|(k, v)| Ok((text(k), cell_val(v)?)))
                .collect::<serde_json::Result<Map>>()?,
        ),
        Cell::Json(json) => {
            let mut de = serde_json::Deserializer::from_str(json);
            let value = de.deserialize_any(SortedVal)?;
            de.end()?;
            value
        }
    })
}

/// Reads JSON text into a jq value as its JSON value converts: objects in key order, a
/// repeated key holding its last value.
#[derive(Clone, Copy)]
struct SortedVal;

impl<'de> DeserializeSeed<'de> for SortedVal {
    type Value = Val;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Val, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SortedVal {
    type Value = Val;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Val, E> {
        Ok(Val::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Val, E> {
        Ok(Val::Num(Num::from_integral(n)))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Val, E> {
        Ok(Val::Num(Num::from_integral(n)))
    }

    fn visit_f64<E>(self, x: f64) -> Result<Val, E> {
        Ok(Val::Num(Num::Float(x)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Val, E> {
        Ok(text(s))
    }

    fn visit_string<E>(self, s: String) -> Result<Val, E> {
        Ok(Val::utf8_str(s.into_bytes()))
    }

    fn visit_unit<E>(self) -> Result<Val, E> {
        Ok(Val::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Val, A::Error> {
        std::iter::from_fn(|| seq.next_element_seed(self).transpose()).collect()
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Val, A::Error> {
        let mut entries: Vec<(String, Val)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            entries.push((key, map.next_value_seed(self)?));
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut object = Map::default();
        for (key, value) in entries {
            object.insert(Val::utf8_str(key.into_bytes()), value);
        }
        Ok(Val::obj(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::jq::to_val;

    /// A row converts to the jq value its JSON value converts to.
    #[test]
    fn cells_convert_as_their_json_value_does() {
        let json = r#"{"z": 1, "a": [2.5, -3, 18446744073709551615, null, {"y": true, "b": "é"}],
                       "a": "last", "n": 1e300}"#;
        let row = RowCells(vec![
            ("count".into(), Cell::UInt(7)),
            ("delta".into(), Cell::Int(-7)),
            ("empty".into(), Cell::Null),
            ("exposed".into(), Cell::Json(json.into())),
            ("flag".into(), Cell::Bool(false)),
            ("ids".into(), Cell::Array(vec![Cell::Text("a".into())])),
            ("rate".into(), Cell::Float(0.1)),
            (
                "rec".into(),
                Cell::Object(vec![("k".into(), Cell::Text("v".into()))]),
            ),
        ]);
        let direct = row_val(&row).unwrap();
        let by_json = to_val(&row.clone().into_json("t").unwrap()).unwrap();
        assert_eq!(format!("{direct:?}"), format!("{by_json:?}"));
        let projected = project(&direct, &["flag".into(), "ids".into()]);
        assert_eq!(projected.to_string(), r#"{"flag":false,"ids":["a"]}"#);
    }

    #[test]
    fn invalid_json_text_is_an_error_naming_its_column() {
        let row = RowCells(vec![("hops".into(), Cell::Json("[1,".into()))]);
        let e = row_val(&row).unwrap_err().to_string();
        assert!(e.starts_with("column hops_json holds invalid JSON"), "{e}");
    }
}
