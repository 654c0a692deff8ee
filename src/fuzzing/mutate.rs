//! A seeded byte mutator in the manner of libFuzzer's (bit flips, byte
//! insertions and deletions, chunk copies, splices of two inputs, tokens
//! that parsers treat specially, and repetition that builds deep nesting
//! and huge numbers). Deterministic: the same seed gives the same inputs.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Tokens the request parsers give meaning to.
const TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b":",
    b",",
    b"=",
    b"==",
    b"!=",
    b"&",
    b"?",
    b"%",
    b"%zz",
    b"%00",
    b"+",
    b"-",
    b";",
    b"/",
    b"*/*",
    b"\\",
    b"\\u0000",
    b"\\ud800",
    b"\n",
    b"\r\n",
    b"\t",
    b" ",
    b"null",
    b"true",
    b"false",
    b"0",
    b"-1",
    b"1e999",
    b"-0",
    b"0.5",
    b"9223372036854775807",
    b"9223372036854775808",
    b"-9223372036854775809",
    b"18446744073709551616",
    b"in (",
    b"notin (",
    b")",
    b"!",
    b"{any}",
    b"{int:1..2}",
    b"{{",
    b"{rv}",
    b"{duration}",
    b"application/json",
    b"application/yaml",
    b"application/vnd.kubernetes.protobuf",
    b";q=0.5",
    b";as=Table;v=v1;g=meta.k8s.io",
    b";stream=watch",
    b"k8s\x00",
    b"\x0a\x00",
    b"\xff\xff\xff\xff\x0f",
    b"---\n",
    b"&a ",
    b"*a",
    b"!!binary ",
    b"<<: ",
    b"- ",
    b"? ",
    b"\xc3\xa9",
    b"\xe2\x80",
    b"\xf0\x9f\x98\x80",
    b"metadata",
    b"labels",
    b"name",
    b"uid",
    b"op",
    b"path",
    b"value",
    b"add",
    b"remove",
    b"replace",
    b"move",
    b"copy",
    b"test",
    b"/spec/replicas",
    b"/metadata/labels/a",
    b"$patch",
    b"delete",
    b"$retainKeys",
    b"$setElementOrder/containers",
    b"$deleteFromPrimitiveList/args",
    b"containers",
    b"apiVersion",
    b"kind",
    b"Deployment",
    b"resourceVersion",
    b"resourceVersionMatch",
    b"NotOlderThan",
    b"Exact",
    b"watch",
    b"sendInitialEvents",
    b"allowWatchBookmarks",
    b"timeoutSeconds",
    b"limit",
    b"continue",
    b"labelSelector",
    b"fieldSelector",
    b"metadata.name",
    b"spec.nodeName",
];

/// Seeded mutations of a set of seed inputs.
#[derive(Debug)]
pub struct Mutator {
    rng: StdRng,
}

impl Mutator {
    /// A mutator whose inputs depend only on `seed` (and the seeds given).
    pub fn new(seed: u64) -> Mutator {
        Mutator {
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// The generator, for callers that also need random choices.
    pub fn rng(&mut self) -> &mut StdRng {
        &mut self.rng
    }

    /// One input: a seed (or nothing) with one to eight mutations.
    pub fn mutate(&mut self, seeds: &[Vec<u8>]) -> Vec<u8> {
        let mut data = if seeds.is_empty() {
            Vec::new()
        } else {
            seeds[self.rng.random_range(0..seeds.len())].clone()
        };
        let rounds = self.rng.random_range(1..=8);
        for _ in 0..rounds {
            self.once(&mut data, seeds);
        }
        data.truncate(1 << 20);
        data
    }

    fn pos(&mut self, data: &[u8]) -> usize {
        self.rng.random_range(0..=data.len())
    }

    fn once(&mut self, data: &mut Vec<u8>, seeds: &[Vec<u8>]) {
        match self.rng.random_range(0..10) {
            0 if !data.is_empty() => {
                let i = self.rng.random_range(0..data.len());
                data[i] ^= 1 << self.rng.random_range(0..8);
            }
            1 => {
                let i = self.pos(data);
                data.insert(i, self.rng.random());
            }
            2 if !data.is_empty() => {
                let i = self.rng.random_range(0..data.len());
                let n = self.rng.random_range(1..=(data.len() - i).min(16));
                data.drain(i..i + n);
            }
            3 | 4 => {
                let t = TOKENS[self.rng.random_range(0..TOKENS.len())];
                let i = self.pos(data);
                data.splice(i..i, t.iter().copied());
            }
            5 if !data.is_empty() => {
                // Copy a chunk elsewhere.
                let a = self.rng.random_range(0..data.len());
                let n = self.rng.random_range(1..=(data.len() - a).min(64));
                let chunk = data[a..a + n].to_vec();
                let i = self.pos(data);
                data.splice(i..i, chunk);
            }
            6 if !seeds.is_empty() => {
                // Splice: our head, another seed's tail.
                let other = &seeds[self.rng.random_range(0..seeds.len())];
                let cut = self.pos(data);
                let from = self.rng.random_range(0..=other.len());
                data.truncate(cut);
                data.extend_from_slice(&other[from..]);
            }
            7 => {
                // Repetition: deep nesting, long numbers, many clauses.
                let t = TOKENS[self.rng.random_range(0..TOKENS.len())];
                let times = [2, 10, 100, 1000, 20_000][self.rng.random_range(0..5)];
                let i = self.pos(data);
                data.splice(i..i, t.repeat(times));
            }
            8 if !data.is_empty() => {
                let i = self.rng.random_range(0..data.len());
                data[i] = [0, 0xff, b'0', b'9', b'"', b'{', b'[', b'%', b'\\', b'\n']
                    [self.rng.random_range(0..10)];
            }
            _ => {
                let i = self.pos(data);
                data.truncate(i);
            }
        }
    }
}
