//! Timestamps as the AWS CLI v1 (epoch seconds), v2 (ISO 8601) and boto3 recordings (datetime
//! objects) print them, and Python's `str(datetime)` (`2020-05-06 15:23:01.123000+00:00`, as
//! Batfish's exporter writes it), normalised to one RFC 3339 UTC string.

use serde::{Deserialize, Deserializer};

/// A point in time, normalised to RFC 3339 in UTC when it could be read as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timestamp(pub String);

/// The shapes a timestamp arrives in.
#[derive(Deserialize)]
#[serde(untagged)]
enum Raw {
    Epoch(f64),
    Text(String),
    Boto(BotoDatetime),
}

/// `{"__class__": "datetime", "year": …}` as boto3 recorders (placebo) write datetimes.
#[derive(Deserialize)]
struct BotoDatetime {
    year: i16,
    month: i8,
    day: i8,
    #[serde(default)]
    hour: i8,
    #[serde(default)]
    minute: i8,
    #[serde(default)]
    second: i8,
    #[serde(default)]
    microsecond: i32,
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = match Raw::deserialize(d)? {
            Raw::Epoch(secs) => jiff::SignedDuration::try_from_secs_f64(secs)
                .ok()
                .and_then(|dur| jiff::Timestamp::from_duration(dur).ok())
                .map(|t| t.to_string())
                .unwrap_or_else(|| secs.to_string()),
            Raw::Text(s) => s
                .parse::<jiff::Timestamp>()
                .map(|t| t.to_string())
                .unwrap_or(s),
            Raw::Boto(b) => jiff::civil::DateTime::new(
                b.year,
                b.month,
                b.day,
                b.hour,
                b.minute,
                b.second,
                b.microsecond.saturating_mul(1000),
            )
            .and_then(|dt| dt.to_zoned(jiff::tz::TimeZone::UTC))
            .map(|z| z.timestamp().to_string())
            .map_err(serde::de::Error::custom)?,
        };
        Ok(Timestamp(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> String {
        serde_json::from_str::<Timestamp>(json).unwrap().0
    }

    #[test]
    fn all_three_shapes_agree() {
        let v2 = read(r#""2024-03-05T10:20:30.500000+00:00""#);
        let v1 = read("1709634030.5");
        let boto = read(
            r#"{"__class__": "datetime", "year": 2024, "month": 3, "day": 5, "hour": 10,
                "minute": 20, "second": 30, "microsecond": 500000}"#,
        );
        assert_eq!(v2, "2024-03-05T10:20:30.5Z");
        assert_eq!(v1, v2);
        assert_eq!(boto, v2);
    }

    #[test]
    fn python_str_of_a_datetime_as_batfish_writes_it() {
        assert_eq!(
            read(r#""2020-05-06 15:23:01.123000+00:00""#),
            "2020-05-06T15:23:01.123Z"
        );
        assert_eq!(
            read(r#""2020-05-06 17:23:01+02:00""#),
            "2020-05-06T15:23:01Z"
        );
    }

    #[test]
    fn unreadable_text_is_kept_verbatim() {
        assert_eq!(read(r#""yesterday""#), "yesterday");
    }
}
