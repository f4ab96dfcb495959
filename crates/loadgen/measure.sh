#!/usr/bin/env bash
# Reproduces every table and chart of lessons/08-measure.md, from the
# workspace root:
#
#   cargo build --release --bins
#   crates/loadgen/measure.sh            # all tables, about 25 minutes
#   crates/loadgen/measure.sh chat idle  # only some: echo udp hold hold10k chat idle flood
#
# Each table is one `loadgen compare` run: the servers interleaved A B A B
# for five rounds (ROUNDS=3 for fewer), medians printed as a Markdown table.
# The same runs draw the lesson's charts (`--svg`, into lessons/img/): the
# echo runs one line chart against connections (`--svg-x conns=C`, each run
# adds its points), the others one bar chart each.
#
# The chat tables also measure stage 6 as it was before stage 7 was split
# off, when BASELINE names a checkout of that commit with its release build:
#
#   git worktree add ../baseline 96715a5
#   cargo build --release --bin chat-server --manifest-path ../baseline/Cargo.toml --target-dir ../baseline/target
#   BASELINE=../baseline crates/loadgen/measure.sh chat
#
# Numbers differ from machine to machine and run to run; the ratios between
# servers measured in the same run are what the lesson reads. `uptime` is
# printed before each table: a load average far above the CPU count means
# someone else is using the machine, and the run is worth repeating.
set -euo pipefail
rounds=${ROUNDS:-5}
cd "$(dirname "$0")/../.."

bin=${CARGO_TARGET_DIR:-target}/release
peers=crates/loadgen/peers
for b in loadgen tcp-loop-server tcp-threaded-server udp-echo-server chat-server \
    hardened-chat-server; do
    if [ ! -x "$bin/$b" ]; then
        echo "error: $bin/$b is missing: run 'cargo build --release --bins' first" >&2
        exit 1
    fi
done
loadgen=$bin/loadgen
img=lessons/img
tables=${*:-echo udp hold hold10k chat idle flood}

# The baseline's chat-server, under a name of its own (the tables name a
# server by its program's file name): chat-server@COMMIT.
baseline=()
if [ -n "${BASELINE:-}" ]; then
    exe=$BASELINE/target/release/chat-server
    if [ ! -x "$exe" ]; then
        echo "error: $exe is missing: build it (see the top of $0)" >&2
        exit 1
    fi
    links=$(mktemp -d)
    trap 'rm -rf "$links"' EXIT
    link="$links/chat-server@$(git -C "$BASELINE" rev-parse --short HEAD)"
    ln -s "$(realpath "$exe")" "$link"
    baseline=(--server "$link")
fi

for t in $tables; do
    echo "== $t: $(uptime)" >&2
    case $t in
    echo)
        rm -f "$img/measure-echo.svg"
        for c in 1 16 64 256; do
            "$loadgen" compare --rounds "$rounds" \
                --svg "$img/measure-echo.svg" --svg-x "conns=$c" \
                --server "$bin/tcp-loop-server" \
                --server "$bin/tcp-threaded-server" \
                --server "python3 $peers/echo_server.py" \
                -- tcp-echo --conns "$c" --requests 10000000 --size 32 --secs 2
        done
        ;;
    udp)
        "$loadgen" compare --rounds "$rounds" --svg "$img/measure-udp.svg" \
            --server "$bin/udp-echo-server" \
            --server "python3 $peers/udp_server.py" \
            -- udp-echo --clients 8 --requests 10000000 --size 32 --secs 2
        ;;
    hold)
        # 2,000 clients at once: how much memory a thread per client costs.
        "$loadgen" compare --rounds "$rounds" \
            --server "$bin/tcp-threaded-server" \
            -- hold --conns 2000 --parallel 50 --secs 60
        # Python's socketserver listens with a backlog of 5: one round only,
        # it takes most of a minute.
        "$loadgen" compare --rounds 1 \
            --server "python3 $peers/echo_server.py" \
            -- hold --conns 2000 --parallel 50 --secs 60
        ;;
    hold10k)
        # 10,000 at once needs 10,000 descriptors in loadgen and as many in
        # the server (one socket a client).
        ulimit -n "$(ulimit -Hn)"
        "$loadgen" compare --rounds 1 \
            --server "$bin/tcp-threaded-server" \
            -- hold --conns 10000 --parallel 50 --secs 120
        ;;
    chat)
        # Unpaced: each sender keeps 16 of its messages in flight.
        "$loadgen" compare --rounds "$rounds" --svg "$img/measure-chat-unpaced.svg" \
            --server "$bin/hardened-chat-server" \
            --server "$bin/chat-server" \
            "${baseline[@]}" \
            --server "python3 $peers/chat_server.py" \
            -- chat --clients 50 --senders 5 --messages 10000000 --secs 3
        # 1,000 messages/s offered for 3 s: 3,000 messages, 600,000 deliveries.
        # --queue 4096 moves stage 7's flood hold-back from 128 lines behind
        # to 2,048: what that bound costs when a reader lags.
        "$loadgen" compare --rounds "$rounds" --svg "$img/measure-chat-paced.svg" \
            --server "$bin/hardened-chat-server" \
            --server "$bin/hardened-chat-server --queue 4096" \
            --server "$bin/chat-server" \
            "${baseline[@]}" \
            --server "python3 $peers/chat_server.py" \
            -- chat --clients 200 --senders 10 --messages 300 --rate 1000 --secs 10
        ;;
    idle)
        # 2,000 clients joined and idle: what a client costs the room when
        # it says nothing (two threads, their stacks, a queue). Stage 7 as
        # it starts (--max-clients 1024 turns 976 away) and with room for all.
        ulimit -n "$(ulimit -Hn)"
        # One round: 2,000 joins, each told to everyone, take a minute.
        "$loadgen" compare --rounds 1 --svg "$img/measure-chat-idle.svg" \
            --server "$bin/hardened-chat-server --max-clients 2048" \
            --server "$bin/hardened-chat-server" \
            --server "$bin/chat-server" \
            -- hold --chat --conns 2000 --parallel 50 --hold-secs 2 --secs 90
        ;;
    flood)
        # One client sends 50,000 lines as fast as TCP lets it, 20 read flat
        # out: stage 6 cuts off the readers that fall 256 lines behind,
        # stage 7 reads the flooder more slowly instead. --queue moves the
        # line for both (stage 7 holds a sender back at half the queue).
        "$loadgen" compare --rounds "$rounds" --svg "$img/measure-chat-flood.svg" \
            --server "$bin/hardened-chat-server" \
            --server "$bin/hardened-chat-server --queue 4096" \
            --server "$bin/chat-server" \
            --server "$bin/chat-server --queue 4096" \
            -- flood --readers 20 --lines 50000 --secs 30
        ;;
    *)
        echo "error: unknown table '$t': echo udp hold hold10k chat idle flood" >&2
        exit 2
        ;;
    esac
done
