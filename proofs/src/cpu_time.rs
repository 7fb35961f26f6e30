//! CPU time of this process, for the measurements the bench commands and ignored
//! measurement tests print beside wall time.

/// CPU seconds (user + system) this process has used, from /proc/self/stat (Linux; NaN
/// elsewhere or when it cannot be read).
pub fn cpu_seconds() -> f64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/stat") else {
        return f64::NAN;
    };
    let after = s.rsplit_once(')').map_or("", |(_, t)| t);
    let f: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| {
        f.get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (tick(11) + tick(12)) / 100.0
}
