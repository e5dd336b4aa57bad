use std::sync::Arc;

/// A byte range in a [`SourceFile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: u32, end: u32) -> Self {
        Span { start, end }
    }

    pub fn len(self) -> u32 {
        self.end.saturating_sub(self.start)
    }

    pub fn is_empty(self) -> bool {
        self.end <= self.start
    }
}

/// A 1-based line and column; the column counts characters, not bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: u32,
    pub column: u32,
}

/// A file's name as shown to the user, its text, and where its lines start.
#[derive(Debug, Clone)]
pub struct SourceFile {
    inner: Arc<SourceInner>,
}

#[derive(Debug)]
struct SourceInner {
    name: String,
    text: String,
    line_starts: Vec<u32>,
    /// For text that is not all ASCII: the character count at every [`CHECKPOINT`]th byte, so a column in a
    /// minified multi-megabyte line costs a few kilobytes of counting, not the whole line.
    char_checkpoints: Option<Vec<u32>>,
}

const CHECKPOINT: usize = 4096;

impl SourceFile {
    pub fn new(name: impl Into<String>, text: String) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i as u32 + 1),
        );
        let char_checkpoints = (!text.is_ascii()).then(|| {
            let mut checkpoints = Vec::with_capacity(text.len() / CHECKPOINT + 1);
            let mut chars = 0u32;
            let mut previous = 0;
            for at in (0..text.len()).step_by(CHECKPOINT) {
                // Continuation bytes are the ones that do not start a character.
                chars += text.as_bytes()[previous..at]
                    .iter()
                    .filter(|&&b| (b as i8) >= -0x40)
                    .count() as u32;
                checkpoints.push(chars);
                previous = at;
            }
            checkpoints
        });
        SourceFile {
            inner: Arc::new(SourceInner {
                name: name.into(),
                text,
                line_starts,
                char_checkpoints,
            }),
        }
    }

    pub fn name(&self) -> &str {
        &self.inner.name
    }

    pub fn text(&self) -> &str {
        &self.inner.text
    }

    pub fn line_count(&self) -> usize {
        self.inner.line_starts.len()
    }

    /// The 0-based index of the line holding byte `offset`.
    pub fn line_index(&self, offset: u32) -> usize {
        match self.inner.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// The byte range of 0-based line `index`, without its line break.
    pub fn line_range(&self, index: usize) -> std::ops::Range<usize> {
        let starts = &self.inner.line_starts;
        let start = starts[index.min(starts.len() - 1)] as usize;
        let mut end = starts
            .get(index + 1)
            .map_or(self.inner.text.len(), |&s| s as usize);
        let bytes = self.inner.text.as_bytes();
        while end > start && matches!(bytes[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        start..end
    }

    pub fn line_col(&self, offset: u32) -> LineCol {
        let offset = (offset as usize).min(self.inner.text.len());
        let index = self.line_index(offset as u32);
        let start = self.inner.line_starts[index] as usize;
        let column = self.chars_before(offset) - self.chars_before(start);
        LineCol {
            line: index as u32 + 1,
            column: column as u32 + 1,
        }
    }

    /// How many characters the text holds before byte `offset`.
    fn chars_before(&self, offset: usize) -> usize {
        let bytes = self.inner.text.as_bytes();
        match &self.inner.char_checkpoints {
            None => offset,
            Some(checkpoints) => {
                let slot = offset / CHECKPOINT;
                let base = checkpoints.get(slot).copied().unwrap_or(0) as usize;
                let from = (slot * CHECKPOINT).min(offset);
                base + bytes[from..offset]
                    .iter()
                    .filter(|&&b| (b as i8) >= -0x40)
                    .count()
            }
        }
    }

    /// The byte offset of a 1-based line and a 0-based column counted in characters.
    pub fn offset_of(&self, line: usize, char_col: usize) -> u32 {
        let starts = &self.inner.line_starts;
        let Some(&start) = starts.get(line.saturating_sub(1)) else {
            return self.inner.text.len() as u32;
        };
        let rest = &self.inner.text[start as usize..];
        if self.inner.char_checkpoints.is_none() {
            return start + char_col.min(rest.len()) as u32;
        }
        let bytes = rest
            .char_indices()
            .nth(char_col)
            .map_or(rest.len(), |(i, _)| i);
        start + bytes as u32
    }
}
