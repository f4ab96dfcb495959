//! A line diff in the unified format of `diff -u`, with no dependency.
//!
//! The files are a few hundred lines, so the plain longest-common-subsequence
//! table is small and fast enough.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Same(usize, usize),
    Del(usize),
    Add(usize),
}

fn ops(a: &[&str], b: &[&str]) -> Vec<Op> {
    // Common head and tail first: most of a file is unchanged.
    let head = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a_mid, b_mid) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    let (n, m) = (a_mid.len(), b_mid.len());
    // lcs[i][j]: length of the LCS of a_mid[i..] and b_mid[j..].
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a_mid[i] == b_mid[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut out: Vec<Op> = (0..head).map(|i| Op::Same(i, i)).collect();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && a_mid[i] == b_mid[j] {
            out.push(Op::Same(head + i, head + j));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            // Deletions before additions, as `diff -u` shows a change.
            out.push(Op::Del(head + i));
            i += 1;
        } else {
            out.push(Op::Add(head + j));
            j += 1;
        }
    }
    out.extend((0..tail).map(|k| Op::Same(a.len() - tail + k, b.len() - tail + k)));
    out
}

/// `diff -u` of two texts, labelled `a_name` and `b_name`, with 3 lines of
/// context; empty when they are equal.
pub fn unified(a_name: &str, a: &str, b_name: &str, b: &str) -> String {
    let a_lines: Vec<&str> = a.lines().collect();
    let b_lines: Vec<&str> = b.lines().collect();
    let ops = ops(&a_lines, &b_lines);
    const CONTEXT: usize = 3;
    let changed: Vec<usize> = (0..ops.len())
        .filter(|&k| !matches!(ops[k], Op::Same(..)))
        .collect();
    if changed.is_empty() {
        return String::new();
    }
    let mut out = format!("--- {a_name}\n+++ {b_name}\n");
    // Group changes whose context would touch into one hunk.
    let mut k = 0;
    while k < changed.len() {
        let start = changed[k].saturating_sub(CONTEXT);
        let mut end = changed[k];
        while k + 1 < changed.len() && changed[k + 1] <= end + 2 * CONTEXT + 1 {
            k += 1;
            end = changed[k];
        }
        let end = (end + CONTEXT + 1).min(ops.len());
        k += 1;
        let hunk = &ops[start..end];
        let a_count = hunk.iter().filter(|op| !matches!(op, Op::Add(_))).count();
        let b_count = hunk.iter().filter(|op| !matches!(op, Op::Del(_))).count();
        out.push_str(&format!(
            "@@ -{} +{} @@\n",
            range(prior(&ops[..start], true), a_count),
            range(prior(&ops[..start], false), b_count)
        ));
        for op in hunk {
            match *op {
                Op::Same(i, _) => out.push_str(&format!(" {}\n", a_lines[i])),
                Op::Del(i) => out.push_str(&format!("-{}\n", a_lines[i])),
                Op::Add(j) => out.push_str(&format!("+{}\n", b_lines[j])),
            }
        }
    }
    out
}

/// A hunk's range as `diff -u` writes it: the first line and the count,
/// the count left out when it is 1; an empty range is numbered by the line
/// before it.
fn range(before: usize, count: usize) -> String {
    match count {
        0 => format!("{before},0"),
        1 => format!("{}", before + 1),
        _ => format!("{},{count}", before + 1),
    }
}

/// How many lines of one side (`a` or not) come before the ops given.
fn prior(ops: &[Op], a: bool) -> usize {
    ops.iter()
        .filter(|op| match op {
            Op::Same(..) => true,
            Op::Del(_) => a,
            Op::Add(_) => !a,
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_have_no_diff() {
        assert_eq!(unified("a", "x\ny\n", "b", "x\ny\n"), "");
    }

    #[test]
    fn one_changed_line_in_the_middle() {
        let a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
        let b = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
        assert_eq!(
            unified("yours", a, "reference", b),
            "--- yours\n+++ reference\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"
        );
    }

    #[test]
    fn far_apart_changes_make_two_hunks_and_near_ones_one() {
        let lines = |edit: &dyn Fn(u32) -> Option<String>| -> String {
            (1..=30).filter_map(|i| edit(i).map(|l| l + "\n")).collect()
        };
        let a = lines(&|i| Some(i.to_string()));
        let b = lines(&|i| match i {
            3 => Some("three".into()),
            25 => None,
            _ => Some(i.to_string()),
        });
        let d = unified("a", &a, "b", &b);
        assert_eq!(d.matches("@@ ").count(), 2, "{d}");
        assert!(d.contains("@@ -1,6 +1,6 @@"), "{d}");
        assert!(d.contains("@@ -22,7 +22,6 @@"), "{d}");
        let c = lines(&|i| match i {
            3 => Some("three".into()),
            8 => Some("eight".into()),
            _ => Some(i.to_string()),
        });
        assert_eq!(unified("a", &a, "b", &c).matches("@@ ").count(), 1);
    }

    #[test]
    fn lines_added_at_the_start_and_removed_at_the_end() {
        let d = unified("a", "x\ny\n", "b", "new\nx\n");
        assert_eq!(d, "--- a\n+++ b\n@@ -1,2 +1,2 @@\n+new\n x\n-y\n");
        let d = unified("a", "", "b", "only\n");
        assert_eq!(d, "--- a\n+++ b\n@@ -0,0 +1 @@\n+only\n");
    }

    #[test]
    fn matches_diff_u_on_a_real_exercise() {
        // The same change `diff -u` was run on: one body replaced by todo!().
        let a = "fn a() {\n    1\n}\n\nfn b() {\n    let x = 2;\n    x\n}\n";
        let b = "fn a() {\n    1\n}\n\nfn b() {\n    todo!()\n}\n";
        assert_eq!(
            unified("a", a, "b", b),
            "--- a\n+++ b\n@@ -3,6 +3,5 @@\n }\n \n fn b() {\n-    let x = 2;\n-    x\n+    todo!()\n }\n"
        );
    }
}
