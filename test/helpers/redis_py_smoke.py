"""redis-py (Debian's python3-redis) against `fusedb server`: a smoke test run by test/server-clients.test.ts.

Usage: python3 redis_py_smoke.py PORT. Checks connection commands, JSON, keys and expiry, a transaction
pipeline, a plain pipeline with an error in its middle, WATCH, the client's error types, SELECT, and
pub/sub. Prints "redis-py ok: N checks" and exits 0, or exits 1 with the failed check.
"""
import sys
import time

import redis

checks = 0


def check(what, got, want):
    global checks
    if got != want:
        print(f"redis-py FAILED {what}: got {got!r}, want {want!r}")
        sys.exit(1)
    checks += 1


def main(port):
    r = redis.Redis(host="127.0.0.1", port=port, decode_responses=True)
    check("ping", r.ping(), True)
    check("echo", r.echo("héllo"), "héllo")
    check("info", r.info("server")["redis_version"], "7.0.15")
    check("json.set", r.execute_command("JSON.SET", "py:doc", "$", '{"a":[1,2]}'), "OK")
    check("json.get", r.execute_command("JSON.GET", "py:doc"), '{"a":[1,2]}')
    check("exists", r.exists("py:doc", "py:none"), 1)
    check("type", r.type("py:doc"), "ReJSON-RL")
    check("expire", r.expire("py:doc", 100), True)
    check("ttl", r.ttl("py:doc"), 100)
    check("persist", r.persist("py:doc"), True)

    with r.pipeline(transaction=True) as p:
        for i in range(5):
            p.execute_command("JSON.SET", f"py:tx{i}", "$", str(i))
        p.execute_command("JSON.GET", "py:tx4")
        check("multi/exec", p.execute(), ["OK"] * 5 + ["4"])

    with r.pipeline(transaction=False) as p:
        p.execute_command("JSON.SET", "py:n", "$", "10")
        p.execute_command("NOPE")
        p.execute_command("JSON.NUMINCRBY", "py:n", ".", "5")
        replies = p.execute(raise_on_error=False)
        check("pipeline ok", replies[0], "OK")
        check("pipeline error type", isinstance(replies[1], redis.exceptions.ResponseError), True)
        check("pipeline after error", replies[2], "15")

    try:
        r.execute_command("NOPE", "x")
        check("unknown command raises", False, True)
    except redis.exceptions.ResponseError as e:
        check("unknown command message", str(e).startswith("unknown command 'NOPE'"), True)

    with r.pipeline(transaction=True) as p:
        p.watch("py:n")
        r.execute_command("JSON.SET", "py:n", "$", "99")
        p.multi()
        p.execute_command("JSON.SET", "py:n", "$", "0")
        try:
            p.execute()
            check("watch conflict raises", False, True)
        except redis.exceptions.WatchError:
            check("watch conflict", r.execute_command("JSON.GET", "py:n"), "99")

    other = redis.Redis(host="127.0.0.1", port=port, db=3, decode_responses=True)
    check("select: empty db", other.dbsize(), 0)
    other.close()

    ps = r.pubsub()
    ps.subscribe("py:ch")
    check("subscribe", ps.get_message(timeout=2)["type"], "subscribe")
    check("publish", r.publish("py:ch", "hi"), 1)
    deadline = time.time() + 5
    message = None
    while message is None and time.time() < deadline:
        message = ps.get_message(ignore_subscribe_messages=True, timeout=1)
    check("message", (message or {}).get("data"), "hi")
    ps.close()
    r.close()
    print(f"redis-py ok: {checks} checks")


main(int(sys.argv[1]))
