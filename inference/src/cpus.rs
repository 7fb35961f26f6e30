//! CPU placement: the prover gets cores of its own, and the serving threads (gRPC, engines,
//! libtorch) the rest.
//!
//! Why: a Groth16 proof keeps a core busy for a whole second, and on a small machine a nice
//! value or even `SCHED_IDLE` does not keep that off the request path. Measured on the
//! 2-core development VM at 1000 req/s with the prover busy (`inference/README.md`): p99
//! 5.6 ms at nice 10, 3.9 ms at `SCHED_IDLE`, 0.56 ms with the prover on its own core, the
//! same as with no prover at all (0.57 ms).
//!
//! `[prover] cpus`: `"auto"` (default) gives the prover the last `prover.threads` of the
//! CPUs the process may use, leaving at least one for serving; `"off"` pins nothing; a list
//! such as `"6,7"` or `"4-7"` names the prover's CPUs. The serving threads get the allowed
//! CPUs that the prover does not. Threads inherit their creator's affinity, so pinning the
//! main thread before anything starts places every serving thread, and the prover's helper
//! threads (arkworks builds small rayon pools inside an MSM) inherit the prover's.

/// What `[prover] cpus` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CpuPolicy {
    Auto,
    Off,
    List(Vec<usize>),
}

impl std::str::FromStr for CpuPolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "auto" => Ok(CpuPolicy::Auto),
            "off" | "" => Ok(CpuPolicy::Off),
            list => parse_list(list).map(CpuPolicy::List),
        }
    }
}

/// The largest CPU index accepted (the size of a `cpu_set_t`).
pub const MAX_CPU: usize = 1023;

/// `"0,2-3"` → `[0, 2, 3]` (sorted, no duplicates).
pub fn parse_list(s: &str) -> Result<Vec<usize>, String> {
    let mut out = std::collections::BTreeSet::new();
    for part in s.split(',').map(str::trim) {
        let num = |x: &str| -> Result<usize, String> {
            let n: usize = x
                .trim()
                .parse()
                .map_err(|_| format!("{x:?} in CPU list {s:?} is not a CPU number"))?;
            if n > MAX_CPU {
                return Err(format!("CPU {n} in {s:?} is above {MAX_CPU}"));
            }
            Ok(n)
        };
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (num(a)?, num(b)?);
                if a > b {
                    return Err(format!("CPU range {part:?} in {s:?} runs backwards"));
                }
                out.extend(a..=b);
            }
            None => {
                out.insert(num(part)?);
            }
        }
    }
    Ok(out.into_iter().collect())
}

/// Which CPUs the serving threads and the prover threads run on; `None` leaves them free.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Placement {
    pub serve: Option<Vec<usize>>,
    pub prover: Option<Vec<usize>>,
}

/// The placement for `policy` on a process allowed to run on `allowed` (sorted).
pub fn plan(
    policy: &CpuPolicy,
    allowed: &[usize],
    prover_threads: usize,
) -> Result<Placement, String> {
    let prover: Vec<usize> = match policy {
        CpuPolicy::Off => return Ok(Placement::default()),
        // One core alone cannot be split.
        CpuPolicy::Auto if allowed.len() < 2 => return Ok(Placement::default()),
        CpuPolicy::Auto => {
            let n = prover_threads.clamp(1, allowed.len() - 1);
            allowed[allowed.len() - n..].to_vec()
        }
        CpuPolicy::List(list) => {
            if let Some(c) = list.iter().find(|c| !allowed.contains(c)) {
                return Err(format!(
                    "prover CPU {c} is not one this process may run on ({allowed:?})"
                ));
            }
            list.clone()
        }
    };
    let serve: Vec<usize> = allowed
        .iter()
        .copied()
        .filter(|c| !prover.contains(c))
        .collect();
    Ok(Placement {
        // Every allowed CPU went to the prover: serving threads stay free to go anywhere.
        serve: (!serve.is_empty()).then_some(serve),
        prover: Some(prover),
    })
}

/// The CPUs the calling thread may run on.
#[cfg(target_os = "linux")]
pub fn current_thread_cpus() -> std::io::Result<Vec<usize>> {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; the syscall writes at most its size.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok((0..=MAX_CPU)
            .filter(|&c| libc::CPU_ISSET(c, &set))
            .collect())
    }
}

/// Restricts the calling thread (and the threads it creates from now on) to `cpus`.
#[cfg(target_os = "linux")]
pub fn pin_current_thread(cpus: &[usize]) -> std::io::Result<()> {
    // SAFETY: as above; every index is at most MAX_CPU, inside the set.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for &c in cpus.iter().filter(|&&c| c <= MAX_CPU) {
            libc::CPU_SET(c, &mut set);
        }
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Moves the calling thread to `SCHED_IDLE`: it runs only when nothing else wants the CPU.
#[cfg(target_os = "linux")]
pub fn make_current_thread_idle() -> std::io::Result<()> {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: plain syscall on the calling thread (pid 0).
    if unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
pub fn current_thread_cpus() -> std::io::Result<Vec<usize>> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "CPU affinity is Linux-only",
    ))
}

#[cfg(not(target_os = "linux"))]
pub fn pin_current_thread(_cpus: &[usize]) -> std::io::Result<()> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "CPU affinity is Linux-only",
    ))
}

#[cfg(not(target_os = "linux"))]
pub fn make_current_thread_idle() -> std::io::Result<()> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "SCHED_IDLE is Linux-only",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_and_bad_ones_are_refused() {
        assert_eq!(parse_list("0,2-3").unwrap(), vec![0, 2, 3]);
        assert_eq!(parse_list(" 7 , 5-6,6").unwrap(), vec![5, 6, 7]);
        assert!(parse_list("3-1").unwrap_err().contains("backwards"));
        assert!(parse_list("a").unwrap_err().contains("not a CPU number"));
        assert!(parse_list("1,,2").is_err());
        assert!(parse_list("1024").unwrap_err().contains("above"));
        assert_eq!("auto".parse::<CpuPolicy>().unwrap(), CpuPolicy::Auto);
        assert_eq!("off".parse::<CpuPolicy>().unwrap(), CpuPolicy::Off);
        assert_eq!(
            "4-5".parse::<CpuPolicy>().unwrap(),
            CpuPolicy::List(vec![4, 5])
        );
    }

    #[test]
    fn auto_gives_the_prover_the_last_cores_and_keeps_one_for_serving() {
        let p = plan(&CpuPolicy::Auto, &[0, 1], 1).unwrap();
        assert_eq!(p.prover, Some(vec![1]));
        assert_eq!(p.serve, Some(vec![0]));
        let p = plan(&CpuPolicy::Auto, &[0, 1, 2, 3, 4, 5, 6, 7], 3).unwrap();
        assert_eq!(p.prover, Some(vec![5, 6, 7]));
        assert_eq!(p.serve, Some(vec![0, 1, 2, 3, 4]));
        // More prover threads than cores: one core still serves.
        let p = plan(&CpuPolicy::Auto, &[2, 5, 9], 8).unwrap();
        assert_eq!(p.prover, Some(vec![5, 9]));
        assert_eq!(p.serve, Some(vec![2]));
        // One core: nothing to split.
        assert_eq!(
            plan(&CpuPolicy::Auto, &[0], 1).unwrap(),
            Placement::default()
        );
        assert_eq!(
            plan(&CpuPolicy::Off, &[0, 1], 1).unwrap(),
            Placement::default()
        );
    }

    #[test]
    fn lists_must_be_allowed() {
        let p = plan(&CpuPolicy::List(vec![0]), &[0, 1, 2], 1).unwrap();
        assert_eq!(p.prover, Some(vec![0]));
        assert_eq!(p.serve, Some(vec![1, 2]));
        assert!(plan(&CpuPolicy::List(vec![3]), &[0, 1, 2], 1)
            .unwrap_err()
            .contains("not one this process may run on"));
        // All of them to the prover: serving threads are left free.
        let p = plan(&CpuPolicy::List(vec![0, 1]), &[0, 1], 1).unwrap();
        assert_eq!(p.serve, None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn pinning_a_thread_restricts_it_and_its_children() {
        std::thread::spawn(|| {
            let allowed = current_thread_cpus().unwrap();
            let one = vec![allowed[0]];
            pin_current_thread(&one).unwrap();
            assert_eq!(current_thread_cpus().unwrap(), one);
            let child = std::thread::spawn(current_thread_cpus).join().unwrap();
            assert_eq!(child.unwrap(), one);
        })
        .join()
        .unwrap();
        // The test thread itself was not touched.
        assert!(!current_thread_cpus().unwrap().is_empty());
    }
}
