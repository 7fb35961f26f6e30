//! `latency` parameters (genesis `latency.params`).

use crate::pb::Params;

impl Params {
    /// Defaults sized for a thousand providers and a hundred validators: a report is ~40
    /// bytes with its framing and a receipt ~250 (benches/extension_size.rs), so 1,000
    /// providers and 4 receipts take ~39 KiB; the injected tx of 100 validators ~4 MiB.
    pub const DEFAULT: Params = Params {
        max_extension_bytes: 48 * 1024,
        max_receipts_per_extension: 4,
        // Probes time out well before this; anything above is not a measurement.
        max_latency_us: 60_000_000,
        min_samples: 3,
        // More than twice or less than half the median p99 is an outlier.
        outlier_threshold_ppm: 1_000_000,
        history_len: 100,
        epoch_blocks: 20,
        outlier_failure_rate_ppm: 250_000,
        outlier_min_us: 20_000,
        probe_interval_ms: 500,
        probe_timeout_ms: 2_000,
        // Round trips between continents: a validator this much further from every provider
        // than most validators is still honest.
        max_geo_offset_us: 300_000,
        // With a 5 % draw, about one probe obligation per provider per two epochs.
        max_probe_receipts_per_epoch: 8,
        // A probe of each provider at least once a minute backs a report.
        probe_evidence_window_ms: 60_000,
        // A thousand requests at a price of 100 upol: what requester-side reports must pay
        // the provider in an epoch before they count against it.
        min_served_payment: 100_000,
        max_served_reporters: 64,
        served_allowance_us: 100_000,
    };

    /// [`Params::DEFAULT`], what a genesis that leaves a field out takes (the generated
    /// `Default` is all zero).
    pub fn defaults() -> Self {
        Self::DEFAULT
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.max_extension_bytes < 256 {
            return Err("latency.params.max_extension_bytes must be at least 256".into());
        }
        if self.max_extension_bytes > 1 << 20 {
            // Every validator's extension travels in the next block's first tx.
            return Err("latency.params.max_extension_bytes is at most 1048576".into());
        }
        if self.max_receipts_per_extension > 64 {
            return Err("latency.params.max_receipts_per_extension is at most 64".into());
        }
        if self.max_latency_us == 0 {
            return Err("latency.params.max_latency_us must be positive".into());
        }
        if self.min_samples == 0 {
            return Err("latency.params.min_samples must be positive".into());
        }
        if self.outlier_threshold_ppm == 0 {
            return Err("latency.params.outlier_threshold_ppm must be positive".into());
        }
        if self.outlier_failure_rate_ppm == 0 || self.outlier_failure_rate_ppm > 1_000_000 {
            return Err("latency.params.outlier_failure_rate_ppm must be in 1..=1000000".into());
        }
        if self.history_len == 0 || self.history_len > 10_000 {
            return Err("latency.params.history_len must be in 1..=10000".into());
        }
        if self.probe_interval_ms < 10 {
            return Err("latency.params.probe_interval_ms must be at least 10".into());
        }
        if self.probe_timeout_ms == 0 || self.probe_timeout_ms > 60_000 {
            return Err("latency.params.probe_timeout_ms must be in 1..=60000".into());
        }
        if u64::from(self.probe_timeout_ms) * 1000 > u64::from(self.max_latency_us) {
            // A probe that may take longer than the largest sane latency would be refused.
            return Err(
                "latency.params.probe_timeout_ms must not exceed max_latency_us / 1000".into(),
            );
        }
        if self.max_geo_offset_us > self.max_latency_us {
            return Err("latency.params.max_geo_offset_us must not exceed max_latency_us".into());
        }
        if self.epoch_blocks == 0 {
            return Err("latency.params.epoch_blocks must be positive".into());
        }
        if self.min_served_payment == 0 {
            // Free reports would let anyone outvote the paying requesters.
            return Err("latency.params.min_served_payment must be positive".into());
        }
        if self.served_allowance_us > self.max_latency_us {
            return Err("latency.params.served_allowance_us must not exceed max_latency_us".into());
        }
        if self.max_served_reporters == 0 || self.max_served_reporters > 1024 {
            return Err("latency.params.max_served_reporters must be in 1..=1024".into());
        }
        Ok(())
    }

    /// Whether `height` closes an epoch (its accumulators are judged and reset).
    pub fn is_epoch_end(&self, height: u64) -> bool {
        self.epoch_blocks != 0 && height.is_multiple_of(self.epoch_blocks)
    }

    /// The epoch a height belongs to (epoch 1 is heights 1..=epoch_blocks).
    pub fn epoch_of(&self, height: u64) -> u64 {
        height.saturating_sub(1) / self.epoch_blocks.max(1) + 1
    }
}
