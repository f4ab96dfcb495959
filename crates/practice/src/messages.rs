//! Every sentence the practice tool shows a student, in one place, in
//! English and in Chinese side by side ([`crate::lang`]: `--lang zh`, or a
//! Chinese locale). The callers never build user-facing text themselves.
//! Names of functions, files, commands and tests stay as they are in every
//! language.

use crate::lang::{self, Lang, pick};

/// `practice --help`, in the language chosen.
pub fn help() -> &'static str {
    pick(HELP, HELP_ZH)
}

/// `practice --help` in English.
pub const HELP: &str = "\
usage: practice <command> [STAGE] [--yes] [--all] [--lang en|zh]

Exercises for every stage: the stage's own functions become todo!(), and its
checks (cargo test -p PACKAGE stepN) tell you, rung by rung, what to write.
Run it from the repository root: cargo practice <command>
(short for: cargo run -q --bin practice -- <command>).

  list             every stage, its rungs, and which passed at the last check
  start N          turn stage N's functions into the exercise (the reference is kept)
  check [N]        run the rungs in order; stop at the first that fails and say why
  watch [N]        check again every time you save a file (Ctrl-C stops)
  hint [N]         a hint for the first failing check; ask again for a more specific one
  solution N       your version against the reference, as a diff
  reset N          bring the reference back (asks first; --yes does not; --all: every stage)
  self-check       for authors: every exercise builds without warnings and fails its
                   first rung, each rung needs only the functions of the rungs before
                   it, and every reference passes
  --lang en|zh     the language it speaks; default: zh when the locale is Chinese
                   (LC_ALL, LC_MESSAGES or LANG starts with zh), else en
  -h, --help

N defaults to the stage you started or checked last.

example:
  cargo practice start 1
  cargo practice watch
";

/// `practice --help` in Chinese.
pub const HELP_ZH: &str = "\
usage: practice <command> [STAGE] [--yes] [--all] [--lang en|zh]

每个阶段的练习：把这个阶段自己的函数变成 todo!()，由它的检查（cargo test -p
PACKAGE stepN）一级一级地告诉你该写什么。请在仓库根目录运行：cargo practice <command>
（cargo run -q --bin practice -- <command> 的简写）。

  list             列出每个阶段、它有几级，以及上次检查时哪几级通过了
  start N          把第 N 阶段的函数变成练习（参考答案会保存下来）
  check [N]        按顺序运行各级；停在第一个失败的地方，并说明原因
  watch [N]        每次保存文件都重新检查（Ctrl-C 停止）
  hint [N]         给出第一个失败的检查的提示；再问一次，会更具体
  solution N       用 diff 对比你的版本和参考答案
  reset N          恢复参考答案（会先问你；--yes 不问；--all：所有阶段）
  self-check       给作者用：每个练习都能无警告地编译，并在第一级失败；每一级只依赖
                   之前各级的函数；每个参考答案都能通过
  --lang en|zh     用哪种语言说话；默认：系统语言是中文（LC_ALL、LC_MESSAGES 或
                   LANG 以 zh 开头）时为 zh，否则为 en
  -h, --help

N 默认是你最近一次开始或检查的那个阶段。

例子：
  cargo practice start 1
  cargo practice watch
";

/// `text` padded with spaces to `width` columns, a Chinese character
/// counting as two (as a terminal shows it).
fn pad(text: &str, width: usize) -> String {
    let columns: usize = text
        .chars()
        .map(|c| if c as u32 >= 0x1100 { 2 } else { 1 })
        .sum();
    format!("{text}{}", " ".repeat(width.saturating_sub(columns)))
}

/// The first line of a generated body's `// TODO:` comment.
pub fn todo_line(name: &str, stage: u32, rung: u32) -> String {
    pick(
        format!("write `{name}` (stage {stage}, rung {rung}), in place of these lines."),
        format!("在这里写 `{name}`（第 {stage} 阶段，第 {rung} 级），替换掉这几行。"),
    )
}

/// The `// TODO:` comment's last line.
pub fn todo_lesson(lesson: &str) -> String {
    pick(
        format!("The lesson explains it: {lesson}"),
        format!("讲解见：{lesson}"),
    )
}

/// The comment above the `#![allow(...)]` that `practice start` adds.
pub fn allow_comment() -> [&'static str; 2] {
    pick(
        [
            "Added by `practice start`: until you have written the exercise, some imports and",
            "helpers wait unused. `practice reset` takes this line away with the exercise.",
        ],
        [
            "由 `practice start` 加上：写完练习之前，有些 import 和辅助函数暂时用不上。",
            "`practice reset` 会把这一行连同练习一起去掉。",
        ],
    )
}

pub fn no_such_stage(n: u32) -> String {
    pick(
        format!("there is no stage {n}: `cargo practice list` shows the stages"),
        format!("没有第 {n} 阶段：`cargo practice list` 会列出所有阶段"),
    )
}

pub fn no_markers(n: u32, dir: &str) -> String {
    pick(
        format!("stage {n} has no exercise yet: no `// practice: rung N, ...` marker in {dir}/src"),
        format!("第 {n} 阶段还没有练习：{dir}/src 里没有 `// practice: rung N, ...` 标记"),
    )
}

pub fn no_stage_given() -> String {
    pick(
        "which stage? Give its number, as in `cargo practice start 1`",
        "哪个阶段？请给出编号，比如 `cargo practice start 1`",
    )
    .into()
}

pub fn not_a_workspace() -> String {
    pick(
        "cannot find the repository: run this from the socket-lessons folder (where Cargo.toml and crates/ are)",
        "找不到仓库：请在 socket-lessons 文件夹里运行（也就是 Cargo.toml 和 crates/ 所在的地方）",
    )
    .into()
}

pub fn already_started(n: u32) -> String {
    pick(
        format!(
            "stage {n} is already started, and your work is kept. To start it over: cargo practice reset {n}, then cargo practice start {n}"
        ),
        format!(
            "第 {n} 阶段已经开始了，你写的都还在。要从头再来：先 cargo practice reset {n}，再 cargo practice start {n}"
        ),
    )
}

pub fn looks_like_an_exercise(file: &str) -> String {
    pick(
        format!(
            "{file} already holds an exercise (a todo!() that practice writes), but no reference copy is saved: bring the reference back first (git checkout -- {file})"
        ),
        format!(
            "{file} 里已经是练习了（有 practice 写进去的 todo!()），却没有保存参考答案：请先把参考答案找回来（git checkout -- {file}）"
        ),
    )
}

pub fn started(n: u32, package: &str, count: usize) -> String {
    pick(
        format!(
            "stage {n} ({package}) is now an exercise: {count} {} to write, rung by rung.",
            if count == 1 { "function" } else { "functions" }
        ),
        format!("第 {n} 阶段（{package}）现在是练习了：要一级一级地写 {count} 个函数。"),
    )
}

pub fn site_row(rung: u32, display: &str, place: &str) -> String {
    pick(
        format!("  rung {rung:<2} {display:<32} {place}"),
        format!("  第 {rung:>2} 级  {display:<32} {place}"),
    )
}

pub fn started_next(n: u32) -> String {
    pick(
        format!(
            "The reference is kept in .practice/reference/ (cargo practice solution {n} compares it with yours;\n\
             cargo practice reset {n} brings it back).\n\
             Next: cargo practice check (or cargo practice watch, which checks again on every save)."
        ),
        format!(
            "参考答案保存在 .practice/reference/ 里（cargo practice solution {n} 拿它和你的版本对比；\n\
             cargo practice reset {n} 把它恢复回来）。\n\
             下一步：cargo practice check（或者 cargo practice watch，每次保存都会重新检查）。"
        ),
    )
}

pub fn not_started(n: u32) -> String {
    pick(
        format!(
            "stage {n} is not started, so its files are the reference: cargo practice start {n} turns them into the exercise"
        ),
        format!(
            "第 {n} 阶段还没有开始，所以它的文件就是参考答案：cargo practice start {n} 会把它们变成练习"
        ),
    )
}

pub fn checking(n: u32, package: &str, first: u32, last: u32) -> String {
    pick(
        format!("stage {n} ({package}): rungs {first} to {last}"),
        format!("第 {n} 阶段（{package}）：第 {first} 到第 {last} 级"),
    )
}

pub fn building() -> String {
    pick("  building ...", "  正在构建……").into()
}

pub fn rung_running(rung: u32) -> String {
    pick(format!("  rung {rung:<2} "), format!("  第 {rung:>2} 级  "))
}

pub fn rung_ok(count: usize) -> String {
    pick(
        format!(
            "ok ({count} {})",
            if count == 1 { "check" } else { "checks" }
        ),
        format!("通过（{count} 个检查）"),
    )
}

pub fn rung_failed(name: &str) -> String {
    pick(format!("FAILED {name}"), format!("失败 {name}"))
}

pub fn rung_no_tests() -> String {
    pick(
        "no check ran (is the filter right?)",
        "一个检查都没有运行（过滤条件写对了吗？）",
    )
    .into()
}

pub fn rung_timed_out(secs: u64) -> String {
    pick(
        format!(
            "did not finish within {secs} s, so it was stopped: is there a loop that never ends?"
        ),
        format!("{secs} 秒内没有结束，所以被停下了：是不是有一个永远不会结束的循环？"),
    )
}

pub fn compile_failed(n: u32, package: &str) -> String {
    pick(
        format!("stage {n} ({package}) does not compile yet:"),
        format!("第 {n} 阶段（{package}）还编译不过："),
    )
}

pub fn more_errors(count: usize, package: &str) -> String {
    pick(
        format!(
            "  (and {count} more {}: cargo build -p {package} shows them all)",
            if count == 1 { "error" } else { "errors" }
        ),
        format!("  （还有 {count} 个错误：cargo build -p {package} 会全部列出来）"),
    )
}

pub fn warnings(count: usize, package: &str) -> String {
    pick(
        format!(
            "  {count} {} (cargo build -p {package} shows {})",
            if count == 1 { "warning" } else { "warnings" },
            if count == 1 { "it" } else { "them" }
        ),
        format!("  {count} 个警告（cargo build -p {package} 会列出来）"),
    )
}

pub fn first_warning(text: &str) -> String {
    pick(format!("  first: {text}"), format!("  第一个：{text}"))
}

pub fn rung_fails(rung: u32, name: &str) -> String {
    pick(
        format!("rung {rung} fails: {name}"),
        format!("第 {rung} 级没有通过：{name}"),
    )
}

pub fn not_written_yet(what: &str) -> String {
    pick(
        format!("not written yet: {what}"),
        format!("还没写：  {what}"),
    )
}

pub fn write_it(display: &str, place: &str) -> String {
    pick(
        format!("write it:  {display} in {place}"),
        format!("去写：    {display}，在 {place}"),
    )
}

pub fn lesson(section: &str) -> String {
    pick(
        format!("lesson:    {section}"),
        format!("讲解：    {section}"),
    )
}

pub fn hint_available(n: u32, count: usize) -> String {
    match (lang::current(), count) {
        (Lang::En, 0) => {
            format!("then:      cargo practice check {n} again (or cargo practice watch)")
        }
        (Lang::En, 1) => format!("stuck?     cargo practice hint {n} (1 hint for this check)"),
        (Lang::En, _) => {
            format!("stuck?     cargo practice hint {n} ({count} hints for this check)")
        }
        (Lang::Zh, 0) => {
            format!("然后：    再运行 cargo practice check {n}（或者 cargo practice watch）")
        }
        (Lang::Zh, _) => {
            format!("卡住了？  cargo practice hint {n}（这个检查有 {count} 条提示）")
        }
    }
}

pub fn all_pass(n: u32, package: &str, rungs: usize) -> String {
    pick(
        format!(
            "stage {n} ({package}): all {rungs} rungs pass. Well done!\n\
             Compare with the reference: cargo practice solution {n}"
        ),
        format!(
            "第 {n} 阶段（{package}）：全部 {rungs} 级都通过了。干得好！\n\
             和参考答案对比一下：cargo practice solution {n}"
        ),
    )
}

pub fn all_pass_not_started(n: u32, package: &str, rungs: usize) -> String {
    pick(
        format!(
            "stage {n} ({package}): all {rungs} rungs pass (this is the reference: cargo practice start {n} to practise it)"
        ),
        format!(
            "第 {n} 阶段（{package}）：全部 {rungs} 级都通过了（这是参考答案：运行 cargo practice start {n} 来练习它）"
        ),
    )
}

pub fn no_checks(n: u32, dir: &str) -> String {
    pick(
        format!("stage {n} has no checks: no test named stepN_... in {dir}/tests"),
        format!("第 {n} 阶段没有检查：{dir}/tests 里没有名为 stepN_... 的测试"),
    )
}

pub fn watching(dir: &str) -> String {
    pick(
        format!("watching {dir} (save a file to check again; Ctrl-C stops)"),
        format!("正在盯着 {dir}（保存文件就会重新检查；Ctrl-C 停止）"),
    )
}

pub fn changed(file: &str) -> String {
    pick(format!("\n{file} changed:"), format!("\n{file} 改动了："))
}

pub fn hint_header(n: u32, rung: u32, check: &str, k: usize, total: usize) -> String {
    pick(
        format!("stage {n}, rung {rung}, {check}: hint {k} of {total}"),
        format!("第 {n} 阶段，第 {rung} 级，{check}：第 {k} 条提示，共 {total} 条"),
    )
}

pub fn hint_more() -> String {
    pick(
        "(ask again for a more specific one)",
        "（再问一次，会给出更具体的提示）",
    )
    .into()
}

pub fn hint_last(n: u32) -> String {
    pick(
        format!(
            "That was the last hint for this check. The reference: cargo practice solution {n}"
        ),
        format!("这是这个检查的最后一条提示了。参考答案：cargo practice solution {n}"),
    )
}

/// Said before a hint that has no Chinese version yet (no `/// hint-zh:`
/// line under its `/// hint:`).
pub fn hint_in_english() -> String {
    pick("", "（这条提示还没有中文版，下面是英文原文）").into()
}

pub fn no_hints(n: u32, check: &str, lesson: &str) -> String {
    pick(
        format!(
            "{check} has no written hints: its own message says what is wrong, and {lesson} explains it.\n\
             The reference: cargo practice solution {n}"
        ),
        format!(
            "{check} 没有写好的提示：它自己的报错说明了哪里不对，{lesson} 有讲解。\n\
             参考答案：cargo practice solution {n}"
        ),
    )
}

pub fn hint_needs_a_failure(n: u32) -> String {
    pick(
        format!("every rung of stage {n} passes: no hint needed"),
        format!("第 {n} 阶段的每一级都通过了：用不着提示"),
    )
}

pub fn hint_from_last_check() -> String {
    pick(
        "(from the last check; after a change, run cargo practice check first)",
        "（依据的是上一次检查；改过代码的话，先运行 cargo practice check）",
    )
    .into()
}

pub fn solution_header(n: u32) -> String {
    pick(
        format!("stage {n}: your version (-) against the reference (+)"),
        format!("第 {n} 阶段：你的版本（-）对比参考答案（+）"),
    )
}

pub fn solution_same(file: &str) -> String {
    pick(
        format!("{file}: the same as the reference"),
        format!("{file}：和参考答案一样"),
    )
}

pub fn yours(file: &str) -> String {
    pick(format!("{file} (yours)"), format!("{file}（你的）"))
}

pub fn reference(file: &str) -> String {
    pick(format!("{file} (reference)"), format!("{file}（参考答案）"))
}

pub fn reset_ask(n: u32, files: usize) -> String {
    pick(
        format!(
            "Reset stage {n}? The reference comes back in {files} {}; your version is kept in .practice/attempt/. [y/N] ",
            if files == 1 { "file" } else { "files" }
        ),
        format!(
            "要重置第 {n} 阶段吗？{files} 个文件会恢复成参考答案；你的版本会保存在 .practice/attempt/ 里。[y/N] "
        ),
    )
}

pub fn reset_needs_yes() -> String {
    pick(
        "not reset: nobody answered (use --yes to reset without asking)",
        "没有重置：没人回答（加上 --yes 就不问直接重置）",
    )
    .into()
}

pub fn reset_declined() -> String {
    pick("not reset", "没有重置").into()
}

pub fn reset_done(n: u32, dir: &str) -> String {
    pick(
        format!("stage {n} is the reference again; your version is in .practice/attempt/{dir}/"),
        format!("第 {n} 阶段又是参考答案了；你的版本在 .practice/attempt/{dir}/ 里"),
    )
}

pub fn reset_nothing() -> String {
    pick(
        "no stage is started: nothing to reset",
        "没有已经开始的阶段：没什么可重置的",
    )
    .into()
}

/// Whether an answer to a yes/no question is yes: `y` or `yes` in any
/// language (the question shows `[y/N]`), and `是` or `好` too.
pub fn yes_word(answer: &str) -> bool {
    matches!(
        answer.trim().to_lowercase().as_str(),
        "y" | "yes" | "是" | "好"
    )
}

pub fn unknown_command(cmd: &str) -> String {
    pick(
        format!("unknown command '{cmd}'"),
        format!("不认识的命令 '{cmd}'"),
    )
}

pub fn unexpected_argument(word: &str) -> String {
    pick(
        format!("unexpected argument '{word}'"),
        format!("多余的参数 '{word}'"),
    )
}

pub fn no_command() -> String {
    pick(
        "what should practice do? For example: cargo practice start 1",
        "要 practice 做什么？比如：cargo practice start 1",
    )
    .into()
}

pub fn not_a_number(word: &str) -> String {
    pick(
        format!("'{word}' is not a stage number"),
        format!("'{word}' 不是阶段编号"),
    )
}

pub fn bad_lang(word: &str) -> String {
    pick(
        format!("--lang: '{word}' is neither en nor zh"),
        format!("--lang：'{word}' 既不是 en 也不是 zh"),
    )
}

pub fn self_check_stage(n: u32, package: &str) -> String {
    pick(
        format!("== stage {n} ({package})"),
        format!("== 第 {n} 阶段（{package}）"),
    )
}

pub fn self_check_step(what: &str) -> String {
    format!("   {what}")
}

pub fn self_check_done(stages: usize, secs: f64) -> String {
    pick(
        format!(
            "self-check: {stages} {} checked in {secs:.1} s",
            if stages == 1 { "stage" } else { "stages" }
        ),
        format!("self-check：检查了 {stages} 个阶段，用时 {secs:.1} 秒"),
    )
}

pub fn self_check_failed(problems: usize) -> String {
    pick(
        format!(
            "self-check failed: {problems} {}",
            if problems == 1 { "problem" } else { "problems" }
        ),
        format!("self-check 没有通过：{problems} 个问题"),
    )
}

pub fn list_header() -> String {
    match lang::current() {
        Lang::En => format!(
            "{:<6} {:<15} {:<12} {}",
            "stage", "package", "exercise", "rungs (at the last check)"
        ),
        Lang::Zh => format!(
            "{} {} {} {}",
            pad("阶段", 6),
            pad("包", 15),
            pad("练习", 12),
            "各级（上次检查时）"
        ),
    }
}

pub fn list_row(n: u32, package: &str, state: &str, rungs: &str) -> String {
    format!("{n:>4}   {package:<15} {} {rungs}", pad(state, 12))
}

pub fn state_started() -> &'static str {
    pick("started", "已开始")
}

pub fn state_ready() -> &'static str {
    pick("ready", "可以开始")
}

pub fn state_unmarked() -> &'static str {
    pick("not yet", "还没有")
}

/// Between the rungs of `practice list`'s last column.
pub fn list_comma() -> &'static str {
    pick(", ", "，")
}

pub fn rung_count(count: usize) -> String {
    pick(
        format!("{count} {}", if count == 1 { "rung" } else { "rungs" }),
        format!("{count} 级"),
    )
}

pub fn outcome_ok() -> &'static str {
    pick("ok", "通过")
}

pub fn outcome_failed() -> &'static str {
    pick("FAILED", "失败")
}

pub fn not_run() -> &'static str {
    pick("not run", "未运行")
}

pub fn list_footer() -> String {
    pick(
        "Start one: cargo practice start N",
        "开始一个：cargo practice start N",
    )
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_columns_line_up() {
        assert_eq!(pad("阶段", 6), "阶段  ");
        assert_eq!(pad("ok", 4), "ok  ");
        assert_eq!(pad("可以开始", 6), "可以开始");
    }
}
