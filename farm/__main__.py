"""``python -m farm serve``: run a farm by hand, or for benchmarking other crawlers."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from farm.builtin import scenario
from farm.generate import generated_farm
from farm.server import Farm


async def _serve(args: argparse.Namespace) -> None:
    spec = (
        generated_farm(
            args.sites, args.pages, args.seed, homepage_delay_max_ms=args.homepage_delay_ms
        )
        if args.sites
        else scenario(args.scenario)
    )
    async with Farm(
        spec, port=args.port, tls_port=args.tls_port, single=args.single, bind=args.bind
    ) as farm:
        print(
            f"farm {spec.name}: http on {farm.bind}:{farm.port}, https on {farm.tls_port}",
            file=sys.stderr,
        )
        print(f"CENSUS_HOST_MAP={farm.host_map}")
        print(f"CA certificate: {farm.ca_pem}", file=sys.stderr)
        if args.registry:
            with open(args.registry, "w", encoding="utf-8") as fh:
                fh.write(farm.truth.registry_yaml())
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m farm")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve a scenario until interrupted")
    serve.add_argument("--scenario", default="demo", help="built-in name or a YAML file")
    serve.add_argument("--sites", type=int, default=0, help="serve N generated sites instead")
    serve.add_argument("--pages", type=int, default=1000, help="pages per generated site")
    serve.add_argument("--seed", type=int, default=0)
    serve.add_argument(
        "--homepage-delay-ms",
        type=int,
        default=0,
        help="generated sites' homepages answer after a per-site delay in [0, N] ms",
    )
    serve.add_argument("--port", type=int, default=0)
    serve.add_argument("--tls-port", type=int, default=0)
    serve.add_argument("--bind", default="127.0.0.1")
    serve.add_argument(
        "--single", metavar="HOST", help="serve this one site whatever the Host header says"
    )
    serve.add_argument("--registry", metavar="FILE", help="write the site registry YAML here")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
