//! Collecting and printing benchmark figures.

/// Lines of `figure: value`.
#[derive(Default)]
pub struct Report {
    lines: Vec<(String, String)>,
}

impl Report {
    /// Record a figure and echo it at once (long runs show progress).
    pub fn line(&mut self, what: &str, value: String) {
        eprintln!("  {what}: {value}");
        self.lines.push((what.to_string(), value));
    }

    /// Print the final table under the title `capstan bench <what>`.
    pub fn print_as(&self, what: &str) {
        let w = self.lines.iter().map(|(a, _)| a.len()).max().unwrap_or(0);
        println!("capstan bench {what}");
        for (a, b) in &self.lines {
            println!("  {a:<w$}  {b}");
        }
    }

    /// Print the final table of `capstan bench apiserver`.
    pub fn print(&self) {
        self.print_as("apiserver");
    }
}

/// The p-th percentile (0..=100) of samples (nearest rank).
pub fn percentile(samples: &[f64], p: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    let mut v = samples.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let s: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&s, 50.0), 50.0);
        assert_eq!(percentile(&s, 99.0), 99.0);
        assert_eq!(percentile(&s, 100.0), 100.0);
    }
}
