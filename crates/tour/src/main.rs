//! `tour`: runs every stage's real server and client binaries and prints what
//! they say to each other, one narrated step at a time.
//!
//! Each stage starts its server on port 0, learns the port from the server's
//! `listening on ADDR` line, runs the client(s) against it, and checks that
//! what comes back is what the contract promises. So the tour is both a demo
//! for a student and a smoke test: it exits 1 if any stage misbehaves.

mod children;
mod lang;
mod show;
mod stages;

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use lang::{Lang, Say};
use show::{Tour, out};
use stages::STAGES;

const HELP: &str = "\
usage: tour [STAGE...] [--list] [--lang en|zh]

Runs each stage's real server and client and prints the exchange, narrated.
Builds the stage binaries first if needed (it runs `cargo build --bins -p ...`,
whose progress shows on stderr). Whatever ends the tour (the end, a failed stage,
its output closed, Ctrl-C or SIGTERM: exit 130), it stops the programs it
started first.

  STAGE      a stage number (1-7) or package name (tcp-single, ...); default: all
  --list     list the stages and exit
  --lang     the narration's language: en, or zh (中文); default: zh when the
             locale is Chinese (LC_ALL, LC_MESSAGES or LANG starts with zh),
             else en. The programs' own output is shown as it is.
  -h, --help

examples:
  cargo run --bin tour
  cargo run --bin tour -- 1
  cargo run --bin tour -- --lang zh
";

/// `--help` in Chinese: the same options, the same examples.
const HELP_ZH: &str = "\
usage: tour [STAGE...] [--list] [--lang en|zh]

运行每个阶段真正的服务端和客户端，把它们之间的往来打印出来，边跑边解说。
需要时先构建各阶段的程序（它运行 `cargo build --bins -p ...`，进度显示在标准
错误上）。无论导览怎样结束（正常结束、某个阶段出错、输出被关闭、Ctrl-C 或
SIGTERM：退出码 130），它都会先停掉自己启动的程序。

  STAGE      阶段编号（1-7）或包名（tcp-single 等）；默认：全部
  --list     列出所有阶段，然后退出
  --lang     解说的语言：en 或 zh（中文）；默认：系统语言是中文时（LC_ALL、
             LC_MESSAGES 或 LANG 以 zh 开头）为 zh，否则为 en。程序自己的
             输出保持原样。
  -h, --help

例子：
  cargo run --bin tour
  cargo run --bin tour -- 1
  cargo run --bin tour -- --lang zh
";

fn main() -> ExitCode {
    // Before the command line is parsed, so that `--help` speaks it too.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let chosen_lang = Lang::from_args_and_env(&args);
    lang::set(chosen_lang);
    let help = match chosen_lang {
        Lang::En => HELP,
        Lang::Zh => HELP_ZH,
    };
    kit::run(help, |cli| {
        // After kit's panic report is installed (by kit::run), so that it
        // runs after the children are stopped.
        children::on_panic_stop_children();
        let list = cli.flag("--list");
        if let Some(value) = cli.value::<String>("--lang")? {
            Lang::parse(&value).ok_or_else(|| {
                kit::Error::Usage(format!("--lang: '{value}' is neither en nor zh"))
            })?;
        }
        let wanted = cli.words();
        cli.finish()?;
        if list {
            for stage in STAGES {
                out(format_args!(
                    "{}  {:<13} {}",
                    stage.number,
                    stage.package,
                    stage.title.text()
                ))
                .map_err(gone)?;
            }
            return Ok(());
        }
        let mut chosen = Vec::new();
        for word in &wanted {
            let stage = STAGES
                .iter()
                .find(|s| s.number.to_string() == *word || s.package == word)
                .ok_or_else(|| kit::Error::Usage(format!("no stage '{word}' (see tour --list)")))?;
            chosen.push(stage);
        }
        if chosen.is_empty() {
            chosen = STAGES.iter().collect();
        }

        children::on_signal_stop_children();
        let tour = Tour::new(bin_dir()?);
        let mut failed = Vec::new();
        for stage in &chosen {
            // The stage's programs are dropped, so stopped, when it returns.
            let result = tour.heading(stage).and_then(|()| (stage.run)(&tour));
            if show::stdout_gone() {
                return Err(io::Error::new(
                    io::ErrorKind::BrokenPipe,
                    "nobody reads the tour's output any more; it stopped, and so did the servers and clients it had started",
                )
                .into());
            }
            if let Err(e) = result {
                let failed_line = Say {
                    en: "!! stage {n} ({package}) misbehaved: {e}",
                    zh: "!! 第 {n} 阶段（{package}）出了问题：{e}",
                };
                out(failed_line
                    .text()
                    .replace("{n}", &stage.number.to_string())
                    .replace("{package}", stage.package)
                    .replace("{e}", &e.to_string()))
                .map_err(gone)?;
                failed.push(stage.package);
            }
        }
        out("").map_err(gone)?;
        let summary = Say {
            en: "tour: {passed} passed, {failed} failed",
            zh: "导览：{passed} 个阶段通过，{failed} 个出了问题",
        };
        out(summary
            .text()
            .replace("{passed}", &(chosen.len() - failed.len()).to_string())
            .replace("{failed}", &failed.len().to_string()))
        .map_err(gone)?;
        if failed.is_empty() {
            Ok(())
        } else {
            Err(io::Error::other(format!("stage(s) misbehaved: {}", failed.join(", "))).into())
        }
    })
}

fn gone(e: harness::Fail) -> kit::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, e.0).into()
}

/// Where the stage binaries are: next to this one, built by cargo with the
/// same profile. A fresh clone has only `tour` built (by `cargo run --bin
/// tour`), so build the rest, saying so first: the first build takes a
/// minute, and a silent minute looks like a hang. Cargo shows its progress
/// on stderr (one `Compiling` line per package); when nothing changed it
/// takes a moment.
fn bin_dir() -> kit::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    let release = dir.file_name().is_some_and(|n| n == "release");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.toml");
    let packages: Vec<&str> = STAGES.iter().map(|s| s.package).collect();
    let building = Say {
        en: "tour: building the stage binaries first: {command}",
        zh: "导览：先构建各阶段的程序：{command}",
    };
    let command = format!(
        "cargo build{} --bins -p {}",
        if release { " --release" } else { "" },
        packages.join(" -p ")
    );
    out(building.text().replace("{command}", &command)).map_err(gone)?;
    let mut build = Command::new(&cargo);
    build
        .args(["build", "--bins", "--manifest-path", manifest])
        .args(packages.iter().flat_map(|p| ["-p", p]))
        // Cargo talks on stderr; its stdout would be the transcript's.
        .stdout(Stdio::null());
    if release {
        build.arg("--release");
    }
    let started = Instant::now();
    let status = children::spawning(|| build.spawn()).and_then(|mut child| child.wait());
    match status {
        Ok(status) if status.success() => {
            let ready = Say {
                en: "tour: the binaries are ready ({secs} s); now each stage, its server and client really running",
                zh: "导览：程序已就绪（{secs} 秒）；下面逐个阶段运行真正的服务端和客户端",
            };
            let secs = format!("{:.1}", started.elapsed().as_secs_f64());
            out(ready.text().replace("{secs}", &secs)).map_err(gone)?;
            Ok(dir)
        }
        Ok(_) => Err(io::Error::other(
            "building the stage binaries failed (see cargo's messages above)",
        )
        .into()),
        Err(_)
            if STAGES
                .iter()
                .all(|s| s.binaries.iter().all(|b| dir.join(b).exists())) =>
        {
            Ok(dir)
        }
        Err(e) => Err(io::Error::other(format!(
            "the stage binaries are not built and cargo could not be run ({e}): run `cargo build --bins` in the workspace, then the tour again"
        ))
        .into()),
    }
}
