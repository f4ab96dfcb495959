#!/usr/bin/env bash
# Reproduces every table of lessons/08-measure.md, from the workspace root:
#
#   cargo build --release --bins
#   crates/loadgen/measure.sh            # all tables, about 8 minutes
#   crates/loadgen/measure.sh echo udp   # only some: echo udp hold hold10k chat
#
# Each table is one `loadgen compare` run: the servers interleaved A B A B
# for five rounds (ROUNDS=3 for fewer), medians printed as a Markdown table.
# The same runs draw the lesson's charts (`--svg`, into lessons/img/): the
# echo runs one line chart against connections (`--svg-x conns=C`, each run
# adds its points), the others one bar chart each.
# Numbers differ from machine to machine and run to run; the ratios between
# servers are what the lesson reads.
set -euo pipefail
rounds=${ROUNDS:-5}
cd "$(dirname "$0")/../.."

bin=${CARGO_TARGET_DIR:-target}/release
peers=crates/loadgen/peers
for b in loadgen tcp-loop-server tcp-threaded-server udp-echo-server chat-server; do
    if [ ! -x "$bin/$b" ]; then
        echo "error: $bin/$b is missing: run 'cargo build --release --bins' first" >&2
        exit 1
    fi
done
loadgen=$bin/loadgen
img=lessons/img
tables=${*:-echo udp hold hold10k chat}

for t in $tables; do
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
            --server "$bin/tcp-threaded-server --max-clients 10000" \
            -- hold --conns 10000 --parallel 50 --secs 120
        ;;
    chat)
        # Unpaced: each sender keeps 16 of its messages in flight.
        "$loadgen" compare --rounds "$rounds" --svg "$img/measure-chat-unpaced.svg" \
            --server "$bin/chat-server" \
            --server "python3 $peers/chat_server.py" \
            -- chat --clients 50 --senders 5 --messages 10000000 --secs 3
        # 1,000 messages/s offered for 3 s: 3,000 messages, 600,000 deliveries.
        "$loadgen" compare --rounds "$rounds" --svg "$img/measure-chat-paced.svg" \
            --server "$bin/chat-server" \
            --server "python3 $peers/chat_server.py" \
            -- chat --clients 200 --senders 10 --messages 300 --rate 1000 --secs 10
        ;;
    *)
        echo "error: unknown table '$t': echo udp hold hold10k chat" >&2
        exit 2
        ;;
    esac
done
