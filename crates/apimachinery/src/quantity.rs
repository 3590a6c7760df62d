//! Resource quantities (`100m`, `1Gi`, `1e3`, `0.5`), parsed as upstream's
//! `resource.ParseQuantity` and printed in its canonical form (`0.5` → `500m`,
//! `1.5Gi` → `1536Mi`). Values are held exactly in nano-units; sub-nano
//! precision is rounded up, as upstream does.

use std::cmp::Ordering;
use std::fmt;

/// Upstream's `ErrFormatWrong` text.
pub const ERR_FORMAT: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
/// Upstream's `ErrSuffix` text.
pub const ERR_SUFFIX: &str = "unable to parse quantity's suffix";

/// How a quantity is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `Ki`, `Mi`, ...
    BinarySI,
    /// `m`, `k`, `M`, ...
    DecimalSI,
    /// `1e3`.
    DecimalExponent,
}

/// A parsed quantity.
#[derive(Debug, Clone, Copy)]
pub struct Quantity {
    nanos: i128,
    format: Format,
}

const NANO: i128 = 1_000_000_000;

impl PartialEq for Quantity {
    fn eq(&self, o: &Self) -> bool {
        self.nanos == o.nanos
    }
}
impl Eq for Quantity {}
impl PartialOrd for Quantity {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Quantity {
    fn cmp(&self, o: &Self) -> Ordering {
        self.nanos.cmp(&o.nanos)
    }
}

fn pow10(e: u32) -> Option<i128> {
    10i128.checked_pow(e)
}

/// Multiply `m` by `10^exp` (exp may be negative; division rounds up in magnitude).
fn scale10(m: i128, exp: i32) -> Result<i128, String> {
    let too_big = || "quantity is too large".to_string();
    if exp >= 0 {
        let p = pow10(exp as u32).ok_or_else(too_big)?;
        m.checked_mul(p).ok_or_else(too_big)
    } else {
        let Some(p) = pow10((-exp) as u32) else {
            return Ok(if m == 0 { 0 } else { m.signum() });
        };
        let q = m / p;
        Ok(if m % p != 0 { q + m.signum() } else { q })
    }
}

impl Quantity {
    /// Parse a quantity string.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err(ERR_FORMAT.to_string());
        }
        let b = s.as_bytes();
        let mut i = 0;
        let neg = match b[0] {
            b'-' => {
                i = 1;
                true
            }
            b'+' => {
                i = 1;
                false
            }
            _ => false,
        };
        let num_start = i;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
            i += 1;
        }
        let num = &s[num_start..i];
        let suffix = &s[i..];
        if num.is_empty()
            || num.matches('.').count() > 1
            || !num.bytes().any(|c| c.is_ascii_digit())
        {
            return Err(ERR_FORMAT.to_string());
        }
        // the suffix must match [eEinumkKMGTP]*[-+]?[0-9]*
        let sb = suffix.as_bytes();
        let mut j = 0;
        while j < sb.len() && b"eEinumkKMGTP".contains(&sb[j]) {
            j += 1;
        }
        if j < sb.len() && (sb[j] == b'-' || sb[j] == b'+') {
            j += 1;
        }
        while j < sb.len() && sb[j].is_ascii_digit() {
            j += 1;
        }
        if j != sb.len() {
            return Err(ERR_FORMAT.to_string());
        }
        let (int_part, frac_part) = num.split_once('.').unwrap_or((num, ""));
        let digits: String = format!("{int_part}{frac_part}");
        let digits = digits.trim_start_matches('0');
        if digits.len() > 36 {
            return Err("quantity is too large".to_string());
        }
        let mantissa: i128 = if digits.is_empty() {
            0
        } else {
            digits.parse().map_err(|_| ERR_FORMAT.to_string())?
        };
        let frac = frac_part.len() as i32;
        let (format, nanos) = match suffix {
            "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" => {
                let k = match &suffix[..1] {
                    "K" => 1,
                    "M" => 2,
                    "G" => 3,
                    "T" => 4,
                    "P" => 5,
                    _ => 6,
                };
                let m = mantissa
                    .checked_mul(1i128 << (10 * k))
                    .ok_or("quantity is too large")?;
                (Format::BinarySI, scale10(m, 9 - frac)?)
            }
            _ => {
                let (format, exp) = match suffix {
                    "" => (Format::DecimalSI, 0),
                    "n" => (Format::DecimalSI, -9),
                    "u" => (Format::DecimalSI, -6),
                    "m" => (Format::DecimalSI, -3),
                    "k" => (Format::DecimalSI, 3),
                    "M" => (Format::DecimalSI, 6),
                    "G" => (Format::DecimalSI, 9),
                    "T" => (Format::DecimalSI, 12),
                    "P" => (Format::DecimalSI, 15),
                    "E" => (Format::DecimalSI, 18),
                    s if s.len() > 1 && (s.starts_with('e') || s.starts_with('E')) => {
                        let e: i32 = s[1..].parse().map_err(|_| ERR_SUFFIX.to_string())?;
                        (Format::DecimalExponent, e)
                    }
                    _ => return Err(ERR_SUFFIX.to_string()),
                };
                if mantissa == 0 {
                    (format, 0)
                } else {
                    (format, scale10(mantissa, exp + 9 - frac)?)
                }
            }
        };
        Ok(Self {
            nanos: if neg { -nanos } else { nanos },
            format,
        })
    }

    /// The value in nano-units (`1` = `1n`, `1_000_000_000` = `1`).
    pub fn nanos(&self) -> i128 {
        self.nanos
    }

    /// The value in milli-units, rounded up (`MilliValue`).
    pub fn milli_value(&self) -> i128 {
        scale10(self.nanos, -6).unwrap_or(0)
    }

    /// The value in units, rounded up (`Value`).
    pub fn value(&self) -> i128 {
        scale10(self.nanos, -9).unwrap_or(0)
    }

    /// True if negative.
    pub fn is_negative(&self) -> bool {
        self.nanos < 0
    }

    /// True if zero.
    pub fn is_zero(&self) -> bool {
        self.nanos == 0
    }

    /// The format it prints in.
    pub fn format(&self) -> Format {
        self.format
    }
}

impl fmt::Display for Quantity {
    /// The canonical form upstream serializes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.nanos;
        if n == 0 {
            return f.write_str("0");
        }
        let sign = if n < 0 { "-" } else { "" };
        let a = n.abs();
        if self.format == Format::BinarySI && a % NANO == 0 && a / NANO >= 1024 {
            let v = a / NANO;
            let suffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
            let mut k = 0;
            while k < 6 && v % (1i128 << (10 * (k + 1))) == 0 {
                k += 1;
            }
            return write!(f, "{sign}{}{}", v >> (10 * k), suffixes[k]);
        }
        // decimal: the largest exponent (multiple of 3, -9..=18) that keeps the mantissa whole
        let mut exp: i32 = -9;
        let mut mant = a;
        while exp < 18 && mant % 1000 == 0 {
            mant /= 1000;
            exp += 3;
        }
        if self.format == Format::DecimalExponent {
            if exp == 0 {
                write!(f, "{sign}{mant}")
            } else {
                write!(f, "{sign}{mant}e{exp}")
            }
        } else {
            let suffix = match exp {
                -9 => "n",
                -6 => "u",
                -3 => "m",
                0 => "",
                3 => "k",
                6 => "M",
                9 => "G",
                12 => "T",
                15 => "P",
                _ => "E",
            };
            write!(f, "{sign}{mant}{suffix}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        Quantity::parse(s).unwrap().to_string()
    }

    #[test]
    fn parses_and_canonicalizes_like_upstream() {
        assert_eq!(canon("100m"), "100m");
        assert_eq!(canon("0.5"), "500m");
        assert_eq!(canon("1Gi"), "1Gi");
        assert_eq!(canon("1.5Gi"), "1536Mi");
        assert_eq!(canon("1024"), "1024");
        assert_eq!(canon("1000"), "1k");
        assert_eq!(canon("1e3"), "1e3");
        assert_eq!(canon("1500m"), "1500m");
        assert_eq!(canon("2000m"), "2");
        assert_eq!(canon("512Ki"), "512Ki");
        assert_eq!(canon("0.1Gi"), "107374182400m");
        assert_eq!(canon("-1"), "-1");
        assert_eq!(canon("0"), "0");
        assert_eq!(canon("128974848"), "128974848");
        assert_eq!(canon("129e6"), "129e6");
        assert_eq!(canon("123Mi"), "123Mi");
    }

    #[test]
    fn compares_across_formats() {
        let q = |s| Quantity::parse(s).unwrap();
        assert!(q("500m") < q("1"));
        assert_eq!(q("1Ki"), q("1024"));
        assert!(q("1G") < q("1Gi"));
        assert_eq!(q("1e3"), q("1k"));
        assert_eq!(q("250m").milli_value(), 250);
        assert_eq!(q("1.5").value(), 2);
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(Quantity::parse("abc").unwrap_err(), ERR_FORMAT);
        assert_eq!(Quantity::parse("1.2.3").unwrap_err(), ERR_FORMAT);
        assert_eq!(Quantity::parse("1Qi").unwrap_err(), ERR_FORMAT);
        assert_eq!(Quantity::parse("1ki").unwrap_err(), ERR_SUFFIX);
        assert!(Quantity::parse("").is_err());
    }
}
