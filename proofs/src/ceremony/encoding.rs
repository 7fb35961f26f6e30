//! Canonical, checked encodings of the ceremony files.
//!
//! Points are stored uncompressed (arkworks' encoding: `x | y` little-endian, flags in the top
//! bits), so decoding needs no square roots; every point is still checked on decode (on the
//! curve, in the prime-order subgroup) and re-encoded, so each point has exactly one accepted
//! encoding. Vectors carry no length of their own: their lengths come from a header that is
//! checked against the bytes actually present *before* anything is allocated, so a hostile file
//! cannot make the decoder allocate more than its own size.

use super::CeremonyError;
use ark_bn254::Fr;
use ark_ec::{
    short_weierstrass::{Affine, SWCurveConfig},
    AffineRepr,
};
use ark_ff::{BigInteger, PrimeField};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use rayon::prelude::*;

pub(crate) const G1_BYTES: usize = 64;
pub(crate) const G2_BYTES: usize = 128;
pub(crate) const FR_BYTES: usize = 32;

/// Points per parallel task when encoding or decoding vectors.
const CHUNK: usize = 4096;

/// A point type with a fixed-size uncompressed encoding (BN254's G1 and G2).
pub(crate) trait Point:
    AffineRepr + CanonicalSerialize + CanonicalDeserialize + Send + Sync
{
    /// Encoded size.
    fn bytes() -> usize;
}

impl<C: SWCurveConfig> Point for Affine<C> {
    fn bytes() -> usize {
        Affine::<C>::zero().serialized_size(Compress::No)
    }
}

fn encode_point<P: Point>(p: &P, out: &mut [u8]) {
    p.serialize_with_mode(&mut &mut out[..], Compress::No)
        .expect("a point fits its fixed-size slot");
}

/// Decodes one point: checked, and its re-encoding must equal the input.
fn decode_point<P: Point>(b: &[u8], what: &'static str) -> Result<P, CeremonyError> {
    let p = P::deserialize_with_mode(b, Compress::No, Validate::Yes)
        .map_err(|e| CeremonyError::encoding(what, format!("bad point: {e}")))?;
    let mut again = vec![0u8; P::bytes()];
    encode_point(&p, &mut again);
    if again != b {
        return Err(CeremonyError::encoding(
            what,
            "non-canonical point encoding",
        ));
    }
    Ok(p)
}

/// Appends points (parallel).
pub(crate) fn put_points<P: Point>(out: &mut Vec<u8>, points: &[P]) {
    let start = out.len();
    out.resize(start + points.len() * P::bytes(), 0);
    out[start..]
        .par_chunks_mut(CHUNK * P::bytes())
        .zip(points.par_chunks(CHUNK))
        .for_each(|(buf, pts)| {
            for (slot, p) in buf.chunks_mut(P::bytes()).zip(pts) {
                encode_point(p, slot);
            }
        });
}

pub(crate) fn put_point<P: Point>(out: &mut Vec<u8>, p: &P) {
    put_points(out, std::slice::from_ref(p));
}

pub(crate) fn put_fr(out: &mut Vec<u8>, x: &Fr) {
    out.extend_from_slice(&x.into_bigint().to_bytes_le());
}

/// Reads a byte string front to back; every read is bounds-checked.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8], what: &'static str) -> Self {
        Reader { buf, what }
    }

    pub(crate) fn err(&self, msg: impl Into<String>) -> CeremonyError {
        CeremonyError::encoding(self.what, msg)
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len()
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], CeremonyError> {
        if self.buf.len() < n {
            return Err(self.err("truncated"));
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], CeremonyError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, CeremonyError> {
        Ok(self.take(1)?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, CeremonyError> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, CeremonyError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    /// A flag byte: exactly 0 or 1.
    pub(crate) fn flag(&mut self) -> Result<bool, CeremonyError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(self.err(format!("flag byte {b}, expected 0 or 1"))),
        }
    }

    pub(crate) fn point<P: Point>(&mut self) -> Result<P, CeremonyError> {
        let what = self.what;
        decode_point(self.take(P::bytes())?, what)
    }

    /// `len` points, decoded and checked in parallel. The length is checked against the bytes
    /// left before anything is allocated.
    pub(crate) fn points<P: Point>(&mut self, len: usize) -> Result<Vec<P>, CeremonyError> {
        let bytes = len
            .checked_mul(P::bytes())
            .filter(|&b| b <= self.buf.len())
            .ok_or_else(|| self.err("truncated"))?;
        let what = self.what;
        let raw = self.take(bytes)?;
        let chunks: Vec<Vec<P>> = raw
            .par_chunks(CHUNK * P::bytes())
            .map(|c| {
                c.chunks(P::bytes())
                    .map(|b| decode_point(b, what))
                    .collect::<Result<Vec<P>, _>>()
            })
            .collect::<Result<_, _>>()?;
        Ok(chunks.concat())
    }

    /// A canonical scalar (`< r`).
    pub(crate) fn fr(&mut self) -> Result<Fr, CeremonyError> {
        let b = self.take(FR_BYTES)?;
        let x = Fr::deserialize_with_mode(b, Compress::No, Validate::Yes)
            .map_err(|e| self.err(format!("bad scalar: {e}")))?;
        if x.into_bigint().to_bytes_le() != b {
            return Err(self.err("non-canonical scalar"));
        }
        Ok(x)
    }

    /// Fails unless every byte was consumed.
    pub(crate) fn finish(self) -> Result<(), CeremonyError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(self.err(format!("{} trailing bytes", self.buf.len())))
        }
    }
}
