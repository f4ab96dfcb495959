//! `practice`: start, check, watch, hint, compare and reset the exercises.
//! Run it from the repository root: `cargo practice <command>`, short for
//! `cargo run -q --bin practice -- <command>`.

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use kit::{Error, Result};
use practice::commands;
use practice::lang::{self, Lang};
use practice::messages as m;
use practice::progress::Progress;
use practice::run::Cargo;
use practice::selfcheck;
use practice::workspace::Workspace;

fn main() -> ExitCode {
    // A check that fails is not an error of the tool, but a script (the
    // self-check in CI) needs it in the exit code: 1, with no `error:` line.
    let mut failed = false;
    // Before the command line is parsed, so that `--help` speaks it too.
    let args: Vec<String> = std::env::args().skip(1).collect();
    lang::set(Lang::from_args_and_env(&args));
    let code = kit::run(m::help(), |cli| {
        let yes = cli.flag("--yes") || cli.flag("-y");
        let all = cli.flag("--all");
        if let Some(value) = cli.value::<String>("--lang")? {
            Lang::parse(&value).ok_or_else(|| Error::Usage(m::bad_lang(&value)))?;
        }
        let words = cli.words();
        cli.finish()?;
        let ws = Workspace::find()
            .or_else(|| {
                // Built from this checkout: its root is two folders up.
                let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
                root.join("crates").is_dir().then(|| Workspace::new(root))
            })
            .ok_or_else(|| Error::Run(io::Error::other(m::not_a_workspace())))?;
        let (command, rest) = match words.split_first() {
            Some((c, rest)) => (c.as_str(), rest),
            None => return Err(Error::Usage(m::no_command())),
        };
        let stage = |required: bool| -> Result<Option<u32>> {
            match rest {
                [] if required => Err(Error::Usage(m::no_stage_given())),
                [] => Ok(Progress::load(&ws).current.or(Some(1))),
                [n] => n
                    .parse()
                    .map(Some)
                    .map_err(|_| Error::Usage(m::not_a_number(n))),
                [_, extra, ..] => Err(Error::Usage(m::unexpected_argument(extra))),
            }
        };
        let number = |required: bool| -> Result<u32> { Ok(stage(required)?.unwrap_or(1)) };
        let out = &mut io::stdout();
        let cargo = Cargo::new(&ws.root);
        match command {
            "list" => commands::list(&ws, out)?,
            "start" => commands::start(&ws, number(true)?, out)?,
            "check" => failed = !commands::check(&ws, number(false)?, &cargo, out)?.all_pass(),
            "watch" => commands::watch(&ws, number(false)?, &cargo, out)?,
            "hint" => commands::hint(&ws, number(false)?, &cargo, out)?,
            "solution" => commands::solution(&ws, number(true)?, out)?,
            "reset" => {
                let stages = if all {
                    commands::started_stages(&ws)?
                } else {
                    vec![number(true)?]
                };
                if stages.is_empty() {
                    println!("{}", m::reset_nothing());
                }
                for n in stages {
                    let stage = ws.stage(n)?;
                    if ws.started(&stage)
                        && !yes
                        && !confirm(&m::reset_ask(n, ws.saved_files(&stage)?.len()))?
                    {
                        continue;
                    }
                    commands::reset(&ws, n, out)?;
                }
            }
            "self-check" => {
                let only: Vec<u32> = rest
                    .iter()
                    .map(|n| n.parse().map_err(|_| Error::Usage(m::not_a_number(n))))
                    .collect::<Result<_>>()?;
                let base = target_dir(&ws).join("practice-self-check");
                let problems = selfcheck::self_check(&ws, &base, &only, out)?;
                if !problems.is_empty() {
                    println!("\n{}", m::self_check_failed(problems.len()));
                    for p in problems {
                        println!("  {p}");
                    }
                    failed = true;
                }
            }
            other => return Err(Error::Usage(m::unknown_command(other))),
        }
        Ok(())
    });
    if failed && code == ExitCode::SUCCESS {
        ExitCode::from(1)
    } else {
        code
    }
}

/// Where cargo puts build output: CARGO_TARGET_DIR, else `target/`.
fn target_dir(ws: &Workspace) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => ws.root.join(dir),
        None => ws.root.join("target"),
    }
}

/// Asks `question`; only `y` or `yes` goes ahead. With no terminal to ask
/// and no answer waiting, nothing happens.
fn confirm(question: &str) -> io::Result<bool> {
    print!("{question}");
    io::stdout().flush()?;
    let mut answer = String::new();
    let read = io::stdin().lock().read_line(&mut answer)?;
    if read == 0 {
        println!();
        println!(
            "{}",
            if io::stdin().is_terminal() {
                m::reset_declined()
            } else {
                m::reset_needs_yes()
            }
        );
        return Ok(false);
    }
    let yes = m::yes_word(&answer);
    if !yes {
        println!("{}", m::reset_declined());
    }
    Ok(yes)
}
