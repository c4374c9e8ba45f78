//! The ramdisk container: a header, tagged sections, and a checksum.
//!
//! The bootloader loads one file, the ramdisk, into memory next to the
//! kernel. The host runner fills it with sections, each a tag and some
//! bytes; the configuration is the [`Tag::CONFIG`] section, and later
//! sections (a signed update manifest, payload files) get tags of their
//! own. The kernel reads only what it knows and never trusts a byte: a
//! ramdisk that is cut short, corrupted or built by something else is an
//! error naming what is wrong, never a panic.
//!
//! # Format (version 1)
//!
//! All integers little-endian.
//!
//! | offset | size | field |
//! | --- | --- | --- |
//! | 0 | 8 | magic, `UPKEEPRD` in ASCII |
//! | 8 | 2 | format version, [`FORMAT_VERSION`] |
//! | 10 | 2 | number of sections |
//! | 12 | 4 | body length: bytes after the 20-byte header |
//! | 16 | 4 | CRC-32 (ISO-HDLC, as in zlib and PNG) of bytes 0..16 and the body |
//! | 20 | ... | body: the sections, one after the other |
//!
//! A section is a 4-byte tag (ASCII, e.g. `CONF`), a 4-byte length, then
//! that many bytes. The sections fill the body exactly and the file ends
//! with the body: no byte is left unaccounted for, so any stray data is an
//! error rather than silently ignored.
//!
//! The config section holds a [`BootConfig`] encoded with postcard (see
//! [`crate::config`]): changing `BootConfig`'s fields changes that form and
//! needs a new format version.
//!
//! The CRC only catches accidents (a truncated copy, a flipped bit); it is
//! no defence against a deliberate change. The update manifest will carry
//! its own signature.

use core::fmt;

use crate::config::{BootConfig, BootConfigError};

/// The first eight bytes of every ramdisk.
pub const MAGIC: [u8; 8] = *b"UPKEEPRD";

/// The format this crate writes and reads. Version 2: the layout above,
/// with the version-2 `BootConfig` in the config section (version 1 had
/// no `freezes`).
pub const FORMAT_VERSION: u16 = 2;

/// Bytes in the header.
pub const HEADER_LEN: usize = 20;

/// Bytes in a section's header (tag and length).
pub const SECTION_HEADER_LEN: usize = 8;

/// Large enough for any encoded [`BootConfig`] with its container: a full
/// calendar prints in under 300 bytes, the other fields take under 100.
pub const MAX_CONFIG_RAMDISK_LEN: usize = 1024;

/// The checksum: CRC-32/ISO-HDLC, the CRC of zlib, PNG and Ethernet.
const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

/// What a section holds, as four ASCII bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tag(pub [u8; 4]);

impl Tag {
    /// The boot configuration, a postcard-encoded [`BootConfig`].
    pub const CONFIG: Tag = Tag(*b"CONF");
    /// A signed update manifest (the `update-manifest` crate's format). A
    /// ramdisk may carry several; the kernel checks them in order, as
    /// successive deliveries of the update feed.
    pub const MANIFEST: Tag = Tag(*b"MANI");
    /// One update's payload: the update id (`u32`, little-endian), then
    /// the payload bytes. The kernel checks them against the manifest's
    /// signed size and SHA-256 right before installing.
    pub const PAYLOAD: Tag = Tag(*b"PAYL");
}

/// Prints the tag as text when it is printable ASCII, else in hex.
impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.iter().all(|byte| byte.is_ascii_graphic()) {
            for &byte in &self.0 {
                write!(f, "{}", char::from(byte))?;
            }
            Ok(())
        } else {
            write!(f, "0x{:08x}", u32::from_be_bytes(self.0))
        }
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tag({self})")
    }
}

/// One section of a ramdisk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Section<'a> {
    /// What the bytes are.
    pub tag: Tag,
    /// The section's contents.
    pub bytes: &'a [u8],
}

/// A ramdisk whose header, checksum and section framing have been checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ramdisk<'a> {
    version: u16,
    count: u16,
    body: &'a [u8],
}

/// Reads a little-endian `u16` at `offset`; `None` past the end.
fn u16_at(bytes: &[u8], offset: usize) -> Option<u16> {
    let field = bytes.get(offset..offset.checked_add(2)?)?;
    Some(u16::from_le_bytes([field[0], field[1]]))
}

/// Reads a little-endian `u32` at `offset`; `None` past the end.
fn u32_at(bytes: &[u8], offset: usize) -> Option<u32> {
    let field = bytes.get(offset..offset.checked_add(4)?)?;
    Some(u32::from_le_bytes([field[0], field[1], field[2], field[3]]))
}

impl<'a> Ramdisk<'a> {
    /// Checks `bytes` as a whole ramdisk: magic, version, length, checksum,
    /// and that the sections fill the body exactly.
    pub fn parse(bytes: &'a [u8]) -> Result<Ramdisk<'a>, RamdiskError> {
        if bytes.is_empty() {
            return Err(RamdiskError::Empty);
        }
        let header = bytes
            .get(..HEADER_LEN)
            .ok_or(RamdiskError::TruncatedHeader { len: bytes.len() })?;
        if header[..MAGIC.len()] != MAGIC {
            return Err(RamdiskError::BadMagic);
        }
        let field_error = RamdiskError::TruncatedHeader { len: bytes.len() };
        let version = u16_at(header, 8).ok_or(field_error)?;
        if version != FORMAT_VERSION {
            return Err(RamdiskError::UnsupportedVersion(version));
        }
        let count = u16_at(header, 10).ok_or(field_error)?;
        let declared = u32_at(header, 12).ok_or(field_error)?;
        let stored = u32_at(header, 16).ok_or(field_error)?;
        let rest = &bytes[HEADER_LEN..];
        let body_len = usize::try_from(declared)
            .ok()
            .filter(|&len| len <= rest.len())
            .ok_or(RamdiskError::TruncatedBody {
                declared,
                available: rest.len(),
            })?;
        if body_len < rest.len() {
            return Err(RamdiskError::TrailingBytes(rest.len() - body_len));
        }
        let body = rest;
        let mut digest = CRC.digest();
        digest.update(&header[..16]);
        digest.update(body);
        let computed = digest.finalize();
        if computed != stored {
            return Err(RamdiskError::ChecksumMismatch { stored, computed });
        }
        let ramdisk = Ramdisk {
            version,
            count,
            body,
        };
        ramdisk.check_framing()?;
        Ok(ramdisk)
    }

    /// Walks the sections once, so that [`Ramdisk::sections`] can trust
    /// the framing afterwards.
    fn check_framing(&self) -> Result<(), RamdiskError> {
        let mut offset = 0usize;
        for index in 0..self.count {
            let (_, next) = section_at(self.body, offset, index)?;
            offset = next;
        }
        if offset < self.body.len() {
            return Err(RamdiskError::UnclaimedBodyBytes(self.body.len() - offset));
        }
        Ok(())
    }

    /// The format version of the ramdisk (always [`FORMAT_VERSION`] today).
    pub fn version(&self) -> u16 {
        self.version
    }

    /// How many sections there are.
    pub fn section_count(&self) -> u16 {
        self.count
    }

    /// The sections in the order they were written.
    pub fn sections(&self) -> Sections<'a> {
        Sections {
            body: self.body,
            offset: 0,
            remaining: self.count,
        }
    }

    /// The first section with `tag`, if any.
    pub fn section(&self, tag: Tag) -> Option<&'a [u8]> {
        self.sections()
            .find(|section| section.tag == tag)
            .map(|section| section.bytes)
    }

    /// The only section with `tag`: missing or repeated is an error.
    pub fn unique_section(&self, tag: Tag) -> Result<&'a [u8], RamdiskError> {
        let mut matching = self.sections().filter(|section| section.tag == tag);
        let first = matching.next().ok_or(RamdiskError::MissingSection(tag))?;
        if matching.next().is_some() {
            return Err(RamdiskError::DuplicateSection(tag));
        }
        Ok(first.bytes)
    }
}

/// The section at `offset` in `body` and the offset after it.
fn section_at(
    body: &[u8],
    offset: usize,
    index: u16,
) -> Result<(Section<'_>, usize), RamdiskError> {
    let truncated = RamdiskError::TruncatedSectionHeader { index };
    let header_end = offset
        .checked_add(SECTION_HEADER_LEN)
        .filter(|&end| end <= body.len())
        .ok_or(truncated)?;
    let tag_bytes = body.get(offset..offset + 4).ok_or(truncated)?;
    let tag = Tag([tag_bytes[0], tag_bytes[1], tag_bytes[2], tag_bytes[3]]);
    let length = u32_at(body, offset + 4).ok_or(truncated)?;
    let overrun = RamdiskError::SectionOverrun {
        index,
        tag,
        length,
        available: body.len() - header_end,
    };
    let end = usize::try_from(length)
        .ok()
        .and_then(|length| header_end.checked_add(length))
        .filter(|&end| end <= body.len())
        .ok_or(overrun)?;
    let bytes = body.get(header_end..end).ok_or(overrun)?;
    Ok((Section { tag, bytes }, end))
}

/// The sections of a [`Ramdisk`], in order.
#[derive(Clone, Debug)]
pub struct Sections<'a> {
    body: &'a [u8],
    offset: usize,
    remaining: u16,
}

impl<'a> Iterator for Sections<'a> {
    type Item = Section<'a>;

    fn next(&mut self) -> Option<Section<'a>> {
        if self.remaining == 0 {
            return None;
        }
        // The framing was checked by `Ramdisk::parse`; an error here cannot
        // happen, and would only end the iteration early.
        let (section, next) = section_at(self.body, self.offset, 0).ok()?;
        self.offset = next;
        self.remaining -= 1;
        Some(section)
    }
}

/// Why a ramdisk was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RamdiskError {
    /// The ramdisk has no bytes at all.
    Empty,
    /// Fewer bytes than the 20-byte header.
    TruncatedHeader {
        /// How many bytes there are.
        len: usize,
    },
    /// The first eight bytes are not `UPKEEPRD`: not an upkeep ramdisk.
    BadMagic,
    /// A format version this kernel does not read.
    UnsupportedVersion(u16),
    /// The header announces more body bytes than follow it: the file was
    /// cut short.
    TruncatedBody {
        /// Body bytes the header announces.
        declared: u32,
        /// Body bytes present.
        available: usize,
    },
    /// Bytes follow the body the header announces.
    TrailingBytes(usize),
    /// The checksum does not match: the bytes were changed.
    ChecksumMismatch {
        /// The checksum in the header.
        stored: u32,
        /// The checksum of the bytes present.
        computed: u32,
    },
    /// A section's tag and length run past the end of the body.
    TruncatedSectionHeader {
        /// The section's position, from 0.
        index: u16,
    },
    /// A section claims more bytes than the body has left.
    SectionOverrun {
        /// The section's position, from 0.
        index: u16,
        /// Its tag.
        tag: Tag,
        /// The length it claims.
        length: u32,
        /// Bytes left in the body after its header.
        available: usize,
    },
    /// The sections end before the body does.
    UnclaimedBodyBytes(usize),
    /// No section has this tag.
    MissingSection(Tag),
    /// More than one section has this tag, where one is expected.
    DuplicateSection(Tag),
    /// The config section does not decode as a [`BootConfig`].
    ConfigUndecodable(DecodeProblem),
    /// The config section has bytes after the [`BootConfig`].
    ConfigTrailingBytes(usize),
    /// The config decodes but is not valid.
    InvalidConfig(BootConfigError),
}

/// Why the config section's bytes did not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DecodeProblem {
    /// The bytes end in the middle of a value.
    EndsEarly,
    /// A number is malformed or does not fit its field.
    BadNumber,
    /// A flag is neither 0 nor 1, or an optional field's marker is
    /// neither.
    BadFlag,
    /// An enumerated field's variant number does not even fit 32 bits.
    BadVariant,
    /// A text is not UTF-8, or is too long for its field.
    BadText,
    /// A value is out of its type's range: a mode number that names no
    /// mode, a text that is no profile, calendar or policy.
    BadValue,
    /// Anything else postcard reports.
    Other,
}

impl DecodeProblem {
    fn of(error: &postcard::Error) -> DecodeProblem {
        use postcard::Error;
        match error {
            Error::DeserializeUnexpectedEnd => DecodeProblem::EndsEarly,
            Error::DeserializeBadVarint => DecodeProblem::BadNumber,
            Error::DeserializeBadBool | Error::DeserializeBadOption => DecodeProblem::BadFlag,
            Error::DeserializeBadEnum => DecodeProblem::BadVariant,
            Error::DeserializeBadUtf8 | Error::DeserializeBadChar => DecodeProblem::BadText,
            Error::SerdeDeCustom => DecodeProblem::BadValue,
            _ => DecodeProblem::Other,
        }
    }
}

impl fmt::Display for DecodeProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DecodeProblem::EndsEarly => "it ends in the middle of a value",
            DecodeProblem::BadNumber => "a number is malformed or out of range",
            DecodeProblem::BadFlag => "a flag or optional-field marker is neither 0 nor 1",
            DecodeProblem::BadVariant => "a variant number is out of range",
            DecodeProblem::BadText => "a text is not UTF-8 or too long for its field",
            DecodeProblem::BadValue => {
                "a value is out of range (mode) or does not parse (profile, calendar, policy)"
            }
            DecodeProblem::Other => "it is malformed",
        })
    }
}

impl fmt::Display for RamdiskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RamdiskError::Empty => f.write_str("the ramdisk is empty"),
            RamdiskError::TruncatedHeader { len } => write!(
                f,
                "truncated: {len} bytes, fewer than the {HEADER_LEN}-byte header"
            ),
            RamdiskError::BadMagic => {
                f.write_str("bad magic: not an upkeep ramdisk (expected UPKEEPRD)")
            }
            RamdiskError::UnsupportedVersion(version) => write!(
                f,
                "unsupported format version {version} (this kernel reads {FORMAT_VERSION})"
            ),
            RamdiskError::TruncatedBody {
                declared,
                available,
            } => write!(
                f,
                "truncated: the header announces {declared} bytes of sections, \
                 {available} follow"
            ),
            RamdiskError::TrailingBytes(count) => {
                write!(f, "{count} stray bytes after the sections")
            }
            RamdiskError::ChecksumMismatch { stored, computed } => write!(
                f,
                "checksum mismatch: header says {stored:08x}, contents give {computed:08x}"
            ),
            RamdiskError::TruncatedSectionHeader { index } => {
                write!(f, "section {index}: its header runs past the end")
            }
            RamdiskError::SectionOverrun {
                index,
                tag,
                length,
                available,
            } => write!(
                f,
                "section {index} ({tag}) claims {length} bytes, only {available} remain"
            ),
            RamdiskError::UnclaimedBodyBytes(count) => {
                write!(f, "{count} bytes after the last section belong to none")
            }
            RamdiskError::MissingSection(tag) => write!(f, "no {tag} section"),
            RamdiskError::DuplicateSection(tag) => write!(f, "more than one {tag} section"),
            RamdiskError::ConfigUndecodable(problem) => {
                write!(f, "config section does not decode: {problem}")
            }
            RamdiskError::ConfigTrailingBytes(count) => {
                write!(f, "config section has {count} stray bytes after the config")
            }
            RamdiskError::InvalidConfig(error) => write!(f, "invalid config: {error}"),
        }
    }
}

impl core::error::Error for RamdiskError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            RamdiskError::InvalidConfig(error) => Some(error),
            _ => None,
        }
    }
}

/// Reads the config section of a ramdisk: checks the container, decodes
/// the [`BootConfig`] and validates it.
pub fn decode_config(bytes: &[u8]) -> Result<BootConfig, RamdiskError> {
    let ramdisk = Ramdisk::parse(bytes)?;
    let section = ramdisk.unique_section(Tag::CONFIG)?;
    let (config, rest) = postcard::take_from_bytes::<BootConfig>(section)
        .map_err(|error| RamdiskError::ConfigUndecodable(DecodeProblem::of(&error)))?;
    if !rest.is_empty() {
        return Err(RamdiskError::ConfigTrailingBytes(rest.len()));
    }
    config.validate().map_err(RamdiskError::InvalidConfig)?;
    Ok(config)
}

/// Why a ramdisk could not be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EncodeError {
    /// The output buffer is too small.
    BufferTooSmall,
    /// More sections than the 16-bit count holds.
    TooManySections,
    /// A section, or the whole body, is longer than a 32-bit length holds.
    TooLong,
    /// postcard could not encode the config (a text form that failed to
    /// print, which the scheduler's types never do).
    Config,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EncodeError::BufferTooSmall => "the ramdisk does not fit the output buffer",
            EncodeError::TooManySections => "more than 65535 sections",
            EncodeError::TooLong => "a section or the ramdisk is longer than 4 GiB",
            EncodeError::Config => "the config could not be encoded",
        })
    }
}

impl core::error::Error for EncodeError {}

/// Writes a ramdisk section by section into a caller's buffer.
#[derive(Debug)]
pub struct RamdiskWriter<'a> {
    out: &'a mut [u8],
    len: usize,
    count: u16,
}

impl<'a> RamdiskWriter<'a> {
    /// Starts a ramdisk in `out`, leaving room for the header.
    pub fn new(out: &'a mut [u8]) -> Result<RamdiskWriter<'a>, EncodeError> {
        if out.len() < HEADER_LEN {
            return Err(EncodeError::BufferTooSmall);
        }
        Ok(RamdiskWriter {
            out,
            len: HEADER_LEN,
            count: 0,
        })
    }

    /// Appends a section with `bytes`.
    pub fn section(&mut self, tag: Tag, bytes: &[u8]) -> Result<(), EncodeError> {
        self.section_with(tag, |out| {
            let target = out
                .get_mut(..bytes.len())
                .ok_or(EncodeError::BufferTooSmall)?;
            target.copy_from_slice(bytes);
            Ok(bytes.len())
        })
    }

    /// Appends a section whose bytes `write` puts at the start of the
    /// buffer it is given, returning how many it wrote.
    pub fn section_with(
        &mut self,
        tag: Tag,
        write: impl FnOnce(&mut [u8]) -> Result<usize, EncodeError>,
    ) -> Result<(), EncodeError> {
        let count = self
            .count
            .checked_add(1)
            .ok_or(EncodeError::TooManySections)?;
        let start = self
            .len
            .checked_add(SECTION_HEADER_LEN)
            .filter(|&start| start <= self.out.len())
            .ok_or(EncodeError::BufferTooSmall)?;
        let written = write(&mut self.out[start..])?;
        let end = start
            .checked_add(written)
            .filter(|&end| end <= self.out.len())
            .ok_or(EncodeError::BufferTooSmall)?;
        let length = u32::try_from(written).map_err(|_| EncodeError::TooLong)?;
        self.out[self.len..self.len + 4].copy_from_slice(&tag.0);
        self.out[self.len + 4..start].copy_from_slice(&length.to_le_bytes());
        self.len = end;
        self.count = count;
        Ok(())
    }

    /// Writes the header and checksum; returns the ramdisk's length.
    pub fn finish(self) -> Result<usize, EncodeError> {
        let body_len = u32::try_from(self.len - HEADER_LEN).map_err(|_| EncodeError::TooLong)?;
        let out = self.out;
        out[..8].copy_from_slice(&MAGIC);
        out[8..10].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        out[10..12].copy_from_slice(&self.count.to_le_bytes());
        out[12..16].copy_from_slice(&body_len.to_le_bytes());
        let mut digest = CRC.digest();
        digest.update(&out[..16]);
        digest.update(&out[HEADER_LEN..self.len]);
        out[16..20].copy_from_slice(&digest.finalize().to_le_bytes());
        Ok(self.len)
    }
}

/// Writes a ramdisk holding `config` as its only section into `out` and
/// returns its length ([`MAX_CONFIG_RAMDISK_LEN`] bytes always suffice).
///
/// The config is written as it is: validate it first
/// ([`BootConfig::validate`]); the kernel rejects an invalid one.
pub fn encode(config: &BootConfig, out: &mut [u8]) -> Result<usize, EncodeError> {
    let mut writer = RamdiskWriter::new(out)?;
    writer.section_with(Tag::CONFIG, |buffer| {
        postcard::to_slice(config, buffer)
            .map(|written| written.len())
            .map_err(|error| match error {
                // A text form is written through `fmt`, which reports a
                // full buffer as a formatting failure.
                postcard::Error::SerializeBufferFull | postcard::Error::CollectStrError => {
                    EncodeError::BufferTooSmall
                }
                _ => EncodeError::Config,
            })
    })?;
    writer.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Failures, Mode, Name};
    use proptest::prelude::*;
    use update_sched::config::Profile;

    /// A config with every field away from its default, overrides included.
    fn full_config() -> BootConfig {
        BootConfig {
            mode: Mode::Console,
            profile: Profile::Server,
            workload: Name::try_from("nightshift").unwrap(),
            speed: 600,
            seed: u64::MAX - 7,
            scenario: Name::try_from("none").unwrap(),
            failures: Failures {
                security: 1,
                kernel: 2,
                driver: 3,
                application: 4,
                firmware: 1000,
            },
            days: 28,
            windows: Some(
                "Mon..Fri 01:00 +3h; Sat,Sun 22:30 +60m; UTC-05:30"
                    .parse()
                    .unwrap(),
            ),
            frequency: Some("weekly Sun".parse().unwrap()),
            max_concurrent: Some(3),
            freezes: Some("2026-12-20..2027-01-03".parse().unwrap()),
        }
    }

    fn encoded(config: &BootConfig) -> Vec<u8> {
        let mut buffer = [0u8; MAX_CONFIG_RAMDISK_LEN];
        let len = encode(config, &mut buffer).unwrap();
        buffer[..len].to_vec()
    }

    /// Re-computes the checksum after a deliberate edit, so that the test
    /// reaches the checks behind it.
    fn reseal(bytes: &mut [u8]) {
        let mut digest = CRC.digest();
        digest.update(&bytes[..16]);
        digest.update(&bytes[HEADER_LEN..]);
        let crc = digest.finalize();
        bytes[16..20].copy_from_slice(&crc.to_le_bytes());
    }

    #[test]
    fn test_round_trip_default_console_and_full() {
        for config in [BootConfig::default(), BootConfig::console(), full_config()] {
            let bytes = encoded(&config);
            assert_eq!(decode_config(&bytes), Ok(config.clone()));
            let ramdisk = Ramdisk::parse(&bytes).unwrap();
            assert_eq!(ramdisk.version(), FORMAT_VERSION);
            assert_eq!(ramdisk.section_count(), 1);
            assert_eq!(&bytes[..8], b"UPKEEPRD");
        }
    }

    #[test]
    fn test_default_config_is_small() {
        assert!(encoded(&BootConfig::default()).len() < 64);
    }

    #[test]
    fn test_full_calendar_fits_the_maximum() {
        let mut config = full_config();
        config.windows = Some(
            "Mon,Wed,Fri 22:30 +1439m; Tue,Thu,Sat 21:30 +1439m; Mon,Wed,Fri 10:30 +1439m; \
             Tue,Thu,Sat 09:30 +1439m; Mon,Wed,Fri 11:31 +1439m; Tue,Thu,Sat 08:31 +1439m; \
             Mon,Wed,Fri 12:32 +1439m; Tue,Thu,Sat 07:32 +1439m; UTC-05:30"
                .parse()
                .unwrap(),
        );
        let bytes = encoded(&config);
        assert!(bytes.len() < MAX_CONFIG_RAMDISK_LEN / 2, "{}", bytes.len());
    }

    #[test]
    fn test_encode_into_small_buffer_is_an_error() {
        let needed = encoded(&BootConfig::default()).len();
        for len in 0..needed {
            let mut buffer = vec![0u8; len];
            assert_eq!(
                encode(&BootConfig::default(), &mut buffer),
                Err(EncodeError::BufferTooSmall),
                "{len}"
            );
        }
    }

    #[test]
    fn test_every_truncation_is_rejected() {
        let bytes = encoded(&full_config());
        assert_eq!(decode_config(&[]), Err(RamdiskError::Empty));
        for len in 1..bytes.len() {
            let error = decode_config(&bytes[..len]).unwrap_err();
            let expected_header = RamdiskError::TruncatedHeader { len };
            if len < HEADER_LEN {
                assert_eq!(error, expected_header, "{len}");
            } else {
                assert!(
                    matches!(error, RamdiskError::TruncatedBody { .. }),
                    "{len}: {error}"
                );
            }
        }
    }

    #[test]
    fn test_every_single_byte_corruption_is_rejected() {
        let bytes = encoded(&full_config());
        for index in 0..bytes.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut corrupt = bytes.clone();
                corrupt[index] ^= flip;
                // A single changed byte always changes a CRC-32, and every
                // header field is checked before or by it.
                let error = decode_config(&corrupt).unwrap_err();
                let _ = error.to_string();
            }
        }
    }

    #[test]
    fn test_resealed_corruption_is_rejected_or_valid() {
        // With the checksum recomputed, a changed byte reaches the framing
        // and postcard: it must be rejected or decode to a valid config.
        let bytes = encoded(&full_config());
        for index in 0..bytes.len() {
            if (16..20).contains(&index) {
                continue;
            }
            for value in [0x00u8, 0x01, 0x7f, 0x80, 0xff] {
                let mut corrupt = bytes.clone();
                corrupt[index] = value;
                reseal(&mut corrupt);
                match decode_config(&corrupt) {
                    Ok(config) => assert!(config.validate().is_ok()),
                    Err(error) => {
                        let _ = error.to_string();
                    }
                }
            }
        }
    }

    #[test]
    fn test_wrong_magic_and_version() {
        let mut bytes = encoded(&BootConfig::default());
        bytes[0] = b'X';
        assert_eq!(decode_config(&bytes), Err(RamdiskError::BadMagic));
        let mut bytes = encoded(&BootConfig::default());
        // Version 1 had no freeze periods: refused, not misread.
        bytes[8..10].copy_from_slice(&1u16.to_le_bytes());
        assert_eq!(
            decode_config(&bytes),
            Err(RamdiskError::UnsupportedVersion(1))
        );
        assert_eq!(
            decode_config(b"not a ramdisk at all, just text"),
            Err(RamdiskError::BadMagic)
        );
    }

    #[test]
    fn test_checksum_mismatch_names_both_values() {
        let mut bytes = encoded(&BootConfig::default());
        let last = bytes.len() - 1;
        bytes[last] ^= 0x10;
        let error = decode_config(&bytes).unwrap_err();
        assert!(
            matches!(error, RamdiskError::ChecksumMismatch { .. }),
            "{error}"
        );
        assert!(error.to_string().starts_with("checksum mismatch"));
    }

    #[test]
    fn test_trailing_bytes_are_rejected() {
        let mut bytes = encoded(&BootConfig::default());
        bytes.push(0);
        assert_eq!(decode_config(&bytes), Err(RamdiskError::TrailingBytes(1)));
    }

    #[test]
    fn test_oversize_section_lengths_are_rejected() {
        let bytes = encoded(&BootConfig::default());
        let section_len = bytes.len() - HEADER_LEN - SECTION_HEADER_LEN;
        for length in [section_len as u32 + 1, u32::MAX, u32::MAX - 7, 0x8000_0000] {
            let mut corrupt = bytes.clone();
            corrupt[HEADER_LEN + 4..HEADER_LEN + 8].copy_from_slice(&length.to_le_bytes());
            reseal(&mut corrupt);
            assert!(
                matches!(
                    decode_config(&corrupt),
                    Err(RamdiskError::SectionOverrun { index: 0, .. })
                ),
                "{length}"
            );
        }
        let mut corrupt = bytes.clone();
        corrupt[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            decode_config(&corrupt),
            Err(RamdiskError::TruncatedBody { .. })
        ));
    }

    #[test]
    fn test_section_count_must_match_body() {
        let bytes = encoded(&BootConfig::default());
        let mut more = bytes.clone();
        more[10..12].copy_from_slice(&2u16.to_le_bytes());
        reseal(&mut more);
        assert_eq!(
            decode_config(&more),
            Err(RamdiskError::TruncatedSectionHeader { index: 1 })
        );
        let mut none = bytes.clone();
        none[10..12].copy_from_slice(&0u16.to_le_bytes());
        reseal(&mut none);
        assert_eq!(
            decode_config(&none),
            Err(RamdiskError::UnclaimedBodyBytes(bytes.len() - HEADER_LEN))
        );
    }

    #[test]
    fn test_sections_by_tag_missing_and_duplicate() {
        let mut buffer = [0u8; 128];
        let mut writer = RamdiskWriter::new(&mut buffer).unwrap();
        writer.section(Tag(*b"MANI"), b"manifest").unwrap();
        writer.section(Tag(*b"PAYL"), b"").unwrap();
        writer.section(Tag(*b"PAYL"), b"second").unwrap();
        let len = writer.finish().unwrap();
        let ramdisk = Ramdisk::parse(&buffer[..len]).unwrap();
        let tags: Vec<String> = ramdisk.sections().map(|s| s.tag.to_string()).collect();
        assert_eq!(tags, ["MANI", "PAYL", "PAYL"]);
        assert_eq!(ramdisk.section(Tag(*b"MANI")), Some(&b"manifest"[..]));
        assert_eq!(ramdisk.section(Tag(*b"PAYL")), Some(&b""[..]));
        assert_eq!(
            ramdisk.unique_section(Tag(*b"PAYL")),
            Err(RamdiskError::DuplicateSection(Tag(*b"PAYL")))
        );
        assert_eq!(
            decode_config(&buffer[..len]),
            Err(RamdiskError::MissingSection(Tag::CONFIG))
        );
        assert_eq!(
            RamdiskError::MissingSection(Tag::CONFIG).to_string(),
            "no CONF section"
        );
        assert_eq!(Tag([0, 1, 2, 3]).to_string(), "0x00010203");
    }

    #[test]
    fn test_invalid_config_is_rejected_after_decoding() {
        let config = BootConfig {
            speed: 0,
            ..BootConfig::default()
        };
        let error = decode_config(&encoded(&config)).unwrap_err();
        assert_eq!(
            error,
            RamdiskError::InvalidConfig(BootConfigError::SpeedOutOfRange(0))
        );
        assert_eq!(
            error.to_string(),
            "invalid config: speed 0 is outside 1..=1000000"
        );
    }

    #[test]
    fn test_config_section_with_stray_bytes_or_garbage() {
        let mut buffer = [0u8; MAX_CONFIG_RAMDISK_LEN];
        let mut writer = RamdiskWriter::new(&mut buffer).unwrap();
        let mut config = [0u8; 256];
        let used = postcard::to_slice(&BootConfig::default(), &mut config)
            .unwrap()
            .len();
        let mut section = config[..used].to_vec();
        section.push(0);
        writer.section(Tag::CONFIG, &section).unwrap();
        let len = writer.finish().unwrap();
        assert_eq!(
            decode_config(&buffer[..len]),
            Err(RamdiskError::ConfigTrailingBytes(1))
        );

        let mut writer = RamdiskWriter::new(&mut buffer).unwrap();
        writer.section(Tag::CONFIG, &[0x05]).unwrap();
        let len = writer.finish().unwrap();
        assert_eq!(
            decode_config(&buffer[..len]),
            Err(RamdiskError::ConfigUndecodable(DecodeProblem::BadValue))
        );
    }

    proptest! {
        #[test]
        fn prop_arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode_config(&bytes);
            if let Ok(ramdisk) = Ramdisk::parse(&bytes) {
                let _ = ramdisk.sections().count();
            }
        }

        #[test]
        fn prop_resealed_arbitrary_body_never_panics(
            count in 0u16..4,
            body in proptest::collection::vec(any::<u8>(), 0..256),
        ) {
            let mut bytes = Vec::with_capacity(HEADER_LEN + body.len());
            bytes.extend_from_slice(&MAGIC);
            bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
            bytes.extend_from_slice(&count.to_le_bytes());
            bytes.extend_from_slice(&(body.len() as u32).to_le_bytes());
            bytes.extend_from_slice(&[0; 4]);
            bytes.extend_from_slice(&body);
            reseal(&mut bytes);
            match decode_config(&bytes) {
                Ok(config) => prop_assert!(config.validate().is_ok()),
                Err(error) => { let _ = error.to_string(); }
            }
        }

        #[test]
        fn prop_config_section_of_arbitrary_bytes_never_panics(
            section in proptest::collection::vec(any::<u8>(), 0..128),
        ) {
            let mut buffer = [0u8; 256];
            let mut writer = RamdiskWriter::new(&mut buffer).unwrap();
            writer.section(Tag::CONFIG, &section).unwrap();
            let len = writer.finish().unwrap();
            let _ = decode_config(&buffer[..len]);
        }
    }
}
