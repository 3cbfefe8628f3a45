"""Benchmark: the dispatch optimiser and the candidate query.

1. Routing: 200 jobs and 20 technicians around a city (30 km across): shifts 08:00-18:00 from home bases,
   jobs of 30-60 minutes with arrival windows (morning, afternoon, all day, late morning) and skills (fiber
   splicing, bucket truck, wireless, or none; each held by a share of the technicians), travel from the travel
   model (geography distance x 1.3 / 45 km/h, the matrix in one SQL query). The adapter's VROOM solve (a 5 s
   run's budget: 4.5 s, its default exploration level) is printed beside the greedy insertion baseline and
   beside VROOM at its highest exploration level given 10x the time (the best known). Targets: solved in at
   most 5 s, within 5% of the best known, better than greedy.
2. Candidates: one work order among 10,000 technicians (100 territories of 100, skills and shifts as above):
   selectors.candidate_rows (the one SQL query of the hard rules, driven from the territories covering the work
   order) and work_order_candidates (the query plus loading the technicians) against a raw PostGIS KNN query
   returning as many nearest technicians (`<->` on the home base GiST index; target: at most 2x). Medians of
   repeated runs, client-side, and the server's planning and execution times (EXPLAIN ANALYZE); the soft
   territory rule (which must test every technician) for reference.

Run with `make bench` (or .venv/bin/python bench/dispatch.py [--jobs N] [--technicians N] [--limit S]).
"""

import argparse
import datetime
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import migrate, use_database

BENCH_URL = use_database("dispatch")

CITY = (3.3792, 6.5244)  # Lagos
SKILLS = [("fiber-splicing", 0.25, 0.30), ("bucket-truck", 0.15, 0.25), ("wireless", 0.20, 0.35)]  # job, tech shares
WINDOWS = [(8, 12), (12, 18), (8, 18), (10, 14)]
DURATIONS = [30, 30, 45, 45, 60]


def routing_problem(n_jobs: int, n_techs: int, seed: int = 7):
    from workforce.services import solvers
    from workforce.services.travel import TravelModel

    rnd = random.Random(seed)

    def point():
        return (CITY[0] + rnd.uniform(-0.135, 0.135), CITY[1] + rnd.uniform(-0.135, 0.135))

    techs = []
    for _ in range(n_techs):
        skills = {code for code, _job, share in SKILLS if rnd.random() < share}
        techs.append((point(), skills))
    for i, (code, _job, _share) in enumerate(SKILLS):  # every skill held by someone
        techs[i][1].add(code)
    jobs = []  # (place, window, minutes, skill, priority)
    for _ in range(n_jobs):
        roll, needed = rnd.random(), None
        for code, share, _tech in SKILLS:
            if roll < share:
                needed = code
                break
            roll -= share
        jobs.append((point(), rnd.choice(WINDOWS), rnd.choice(DURATIONS), needed, rnd.choice([10, 30, 30, 60, 90])))
    points = [p for p, _ in techs] + [p for p, *_ in jobs]
    model = TravelModel(speed_kmh=45, circuity=1.3)
    model.matrix(points[:2])  # the connection and PostGIS loaded
    began = time.perf_counter()
    matrix = model.matrix(points)
    matrix_s = time.perf_counter() - began
    vehicles = [solvers.Vehicle(i + 1, i, i, (8 * 3600, 18 * 3600), max_tasks=14) for i in range(n_techs)]
    problem_jobs = []
    for j, (_p, (a, b), duration, needed, priority) in enumerate(jobs):
        allowed = frozenset(
            v.id for v, (_hp, skills) in zip(vehicles, techs, strict=True) if not needed or needed in skills
        )
        problem_jobs.append(solvers.Job(j + 1, n_techs + j, duration * 60, (a * 3600, b * 3600), allowed, priority))
    return solvers.Problem(problem_jobs, vehicles, matrix), matrix_s, len(points)


def bench_routing(n_jobs: int, n_techs: int, limit: float) -> dict:
    from workforce.services import solvers
    from workforce.services.dispatch import RESERVE_S

    problem, matrix_s, n_points = routing_problem(n_jobs, n_techs)
    print(f"\n1. routing: {n_jobs} jobs, {n_techs} technicians; travel matrix {n_points}x{n_points} in one query: "
          f"{matrix_s * 1000:.0f} ms")  # fmt: skip
    # a run gives the solver its time limit less a reserve for loading and saving (services.dispatch.RESERVE_S)
    budget = limit - RESERVE_S
    runs = {
        "greedy insertion": solvers.GreedySolver().solve(problem, limit),
        f"vroom ({budget:g} s)": solvers.VroomSolver().solve(problem, budget),
        f"vroom ({budget * 10:g} s, best known)": solvers.VroomSolver(exploration_level=5).solve(problem, budget * 10),
    }
    print(f"   {'solver':28} {'solve s':>8} {'assigned':>9} {'travel min':>11} {'min/job':>8}")
    for name, plan in runs.items():
        per_job = plan.travel / 60 / max(plan.assigned, 1)
        print(f"   {name:28} {plan.seconds:8.2f} {plan.assigned:9d} {plan.travel / 60:11.0f} {per_job:8.2f}")
    greedy, fast, best = runs.values()
    gap = (fast.travel - best.travel) / best.travel * 100 if best.travel else 0.0
    better = (fast.assigned, -fast.travel) > (greedy.assigned, -greedy.travel)
    print(f"   vroom {budget:g} s vs best known: {gap:+.1f}% travel, {fast.assigned - best.assigned:+d} assigned "
          f"(target <= 5%, same assigned); vs greedy: {fast.assigned - greedy.assigned:+d} assigned, "
          f"{(fast.travel - greedy.travel) / 60:+.0f} min travel (target: better)")  # fmt: skip
    # within 5% of the best known: travel, with no fewer jobs assigned (one job fewer counts as its travel share)
    ok = fast.seconds <= 5.0 and gap <= 5.0 and fast.assigned >= best.assigned and better
    if fast.seconds <= 5.0 and better and gap <= 5.0 and fast.assigned < best.assigned:
        print(f"   note: {best.assigned - fast.assigned} job(s) fewer than the best known")
    print(f"   {'PASS' if ok else 'MISS'}: solved in {fast.seconds:.2f} s (target <= 5 s)")
    return {"ok": ok}


# ---- candidates among 10,000 technicians -----------------------------------------------------------------------


def seed_technicians(n: int) -> None:
    from django.contrib.gis.geos import MultiPolygon, Point, Polygon
    from django.db import transaction
    from django.db.backends.postgresql.psycopg_any import DateRange, DateTimeTZRange

    from omni.choices import Audience
    from omni.models import User
    from workforce.models import ServiceTerritory, Shift, Skill, Technician, TechnicianSkill, TerritoryMembership

    if Technician.objects.filter(user__email__startswith="bench-tech-").count() >= n:
        return
    print(f"- seeding {n} technicians")
    rnd = random.Random(11)
    day = datetime.datetime(2030, 3, 4, tzinfo=datetime.UTC)
    with transaction.atomic():
        skills = {code: Skill.objects.get_or_create(code=code, defaults={"name": code})[0] for code, *_ in SKILLS}
        territories = []
        for i in range(100):  # a 10 x 10 grid of 0.3-degree squares (about 33 km)
            lon, lat = CITY[0] - 1.5 + (i % 10) * 0.3, CITY[1] - 1.5 + (i // 10) * 0.3
            territory, _ = ServiceTerritory.objects.get_or_create(
                code=f"bench-{i}",
                defaults={
                    "name": f"Bench {i}",
                    "geom": MultiPolygon(Polygon.from_bbox((lon, lat, lon + 0.3, lat + 0.3)), srid=4326),
                },
            )
            territories.append((territory, lon, lat))
        users = User.objects.bulk_create(
            User(email=f"bench-tech-{i}@example.com", full_name=f"Tech {i}", audience=Audience.STAFF, is_staff=True,
                 password="!")
            for i in range(n)
        )  # fmt: skip
        techs = Technician.objects.bulk_create(
            Technician(
                user=user,
                home_base=Point(
                    territories[i % 100][1] + rnd.uniform(0, 0.3),
                    territories[i % 100][2] + rnd.uniform(0, 0.3),
                    srid=4326,
                ),
            )  # fmt: skip
            for i, user in enumerate(users)
        )
        TechnicianSkill.objects.bulk_create(
            TechnicianSkill(technician=tech, skill=skills[code], level=rnd.randint(1, 5))
            for tech in techs
            for code, _job, share in SKILLS
            if rnd.random() < share
        )
        TerritoryMembership.objects.bulk_create(
            TerritoryMembership(technician=tech, territory=territories[i % 100][0], valid=DateRange(day.date(), None))
            for i, tech in enumerate(techs)
        )
        Shift.objects.bulk_create(
            Shift(technician=tech, during=DateTimeTZRange(day.replace(hour=8), day.replace(hour=18))) for tech in techs
        )


def median_ms(call, runs: int) -> float:
    call()
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        call()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def interleaved_ms(calls: dict, runs: int) -> dict[str, float]:
    """Median ms of each call, run in turns (one of each per round) so that the shared machine's load weighs on all
    alike."""
    for call in calls.values():
        call()
    samples = {name: [] for name in calls}
    for _ in range(runs):
        for name, call in calls.items():
            began = time.perf_counter()
            call()
            samples[name].append((time.perf_counter() - began) * 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


def bench_candidates(n: int, runs: int) -> dict:
    from django.contrib.gis.geos import Point
    from django.db import connection

    from crm.models import Account
    from workforce import selectors
    from workforce.choices import TerritoryRule
    from workforce.models import SchedulingPolicy, Skill, WorkOrder, WorkOrderSkill, WorkType

    seed_technicians(n)
    with connection.cursor() as cursor:  # as autovacuum keeps them (off on the bench box): visibility maps, statistics
        cursor.execute(
            "VACUUM (ANALYZE) workforce_technician, workforce_technicianskill, workforce_territorymembership, "
            "workforce_serviceterritory, workforce_shift, workforce_timeoff, workforce_appointment"
        )
    day = datetime.datetime(2030, 3, 4, tzinfo=datetime.UTC)
    location = Point(CITY[0] + 0.05, CITY[1] + 0.05, srid=4326)
    account = Account.objects.order_by("created_at").first() or Account.objects.create(name="Bench account")
    work_type, _ = WorkType.objects.get_or_create(name="Bench splice")
    work_order = WorkOrder.objects.filter(address="bench-candidates").first() or WorkOrder.objects.create(
        account=account, location=location, address="bench-candidates", work_type=work_type, duration_minutes=60,
        window_start=day.replace(hour=8), window_end=day.replace(hour=12),
    )  # fmt: skip
    WorkOrderSkill.objects.get_or_create(
        work_order=work_order, skill=Skill.objects.get(code="fiber-splicing"), defaults={"min_level": 3}
    )
    start = day.replace(hour=9)
    found = selectors.candidate_rows(work_order_ids=[work_order.pk], start=start)
    k = max(len(found), 1)
    # The floor: the k nearest technicians' home bases to the work order, `<->` KNN on the home base GiST index
    # (the same k as the candidates found), with their distances on the sphere as the candidate query gives them.
    knn_sql = """SELECT id, ST_Distance(home_base::geography, %(p)s::geography) FROM workforce_technician
                 WHERE active ORDER BY home_base <-> %(p)s::geometry LIMIT %(k)s"""
    knn_params = {"p": location.ewkt, "k": k}

    def knn():
        with connection.cursor() as cursor:
            cursor.execute(knn_sql, knn_params)
            return cursor.fetchall()

    def soft():  # the soft territory rule: anyone may pass, so every active technician is tested
        return selectors.candidate_rows(work_order_ids=[work_order.pk], start=start, policy=soft_policy)

    soft_policy = SchedulingPolicy(name="bench soft", territory_rule=TerritoryRule.SOFT)
    sql, params = selectors.candidate_statement(work_order_ids=[work_order.pk], start=start)

    def server_ms(statement, statement_params) -> tuple[float, float]:
        """Median planning and execution times (EXPLAIN ANALYZE) of a statement."""
        planning, execution = [], []
        with connection.cursor() as cursor:
            for _ in range(runs):
                cursor.execute(f"EXPLAIN (ANALYZE, TIMING OFF, SUMMARY) {statement}", statement_params)
                lines = [row[0] for row in cursor.fetchall()]
                planning.append(float(next(x for x in lines if x.startswith("Planning Time")).split()[2]))
                execution.append(float(next(x for x in lines if x.startswith("Execution Time")).split()[2]))
        return statistics.median(planning), statistics.median(execution)

    timed = interleaved_ms(
        {
            "query": lambda: selectors.candidate_rows(work_order_ids=[work_order.pk], start=start),
            "loaded": lambda: selectors.work_order_candidates(work_order_id=work_order.pk, start=start),
            "knn": knn,
        },
        runs,
    )
    query_ms, loaded_ms, knn_ms = timed["query"], timed["loaded"], timed["knn"]
    soft_ms = median_ms(soft, max(runs // 4, 3))
    # ours as candidate_rows runs it: prepared on the connection (omni.db.fetch_prepared), its cached plan executed
    names = list(dict.fromkeys(re.findall(r"%\((\w+)\)s", sql)))
    with connection.cursor() as cursor:
        cursor.execute(
            "PREPARE bench_candidates AS " + re.sub(r"%\((\w+)\)s", lambda m: f"${names.index(m[1]) + 1}", sql)
        )
        execute = f"EXECUTE bench_candidates({', '.join(['%s'] * len(names))})"
        for _ in range(6):  # five custom plans, then PostgreSQL's generic (cached) plan
            cursor.execute(execute, [params[name] for name in names])
    query_plan, query_exec = server_ms(execute, [params[name] for name in names])
    knn_plan, knn_exec = server_ms(knn_sql, knn_params)
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    gist = "workforce_serviceterritory_geom" in plan and "Seq Scan on workforce_technician" not in plan
    members = "Index Only Scan using workforce_membership_members" in plan
    print(f"\n2. candidates: one work order (fiber-splicing >= 3, 08:00-12:00) among {n} technicians: "
          f"{len(found)} pass the hard rules ({len(soft())} with a soft territory rule)")  # fmt: skip
    print(f"   candidate query (one SQL):          {query_ms:8.2f} ms  ({query_ms / knn_ms:.1f}x)  "
          f"server: plan {query_plan:.2f} + run {query_exec:.2f} ms")  # fmt: skip
    print(f"   work_order_candidates (+ loading):  {loaded_ms:8.2f} ms  ({loaded_ms / knn_ms:.1f}x)")
    print(f"   raw PostGIS KNN, {k} nearest:        {knn_ms:8.2f} ms  (1x)     "
          f"server: plan {knn_plan:.2f} + run {knn_exec:.2f} ms")  # fmt: skip
    print(f"   soft territory (every technician):  {soft_ms:8.2f} ms  ({soft_ms / knn_ms:.1f}x)")
    print(f"   plan driven from the territory GiST index (no technician scan): {'yes' if gist else 'NO'}; "
          f"members read index-only: {'yes' if members else 'NO'}")  # fmt: skip
    ok = query_ms <= 2 * knn_ms
    print(f"   {'PASS' if ok else 'MISS'}: candidate query {query_ms / knn_ms:.1f}x the KNN floor (target <= 2x); "
          f"server-side {(query_plan + query_exec) / (knn_plan + knn_exec):.1f}x, "
          f"execution alone {query_exec / knn_exec:.1f}x")  # fmt: skip
    return {"ok": ok}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--technicians", type=int, default=20)
    parser.add_argument("--limit", type=float, default=5.0, help="the solver's time limit (s)")
    parser.add_argument("--candidates-among", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--skip-candidates", action="store_true")
    parser.add_argument("--skip-routing", action="store_true")
    args = parser.parse_args()
    migrate(BENCH_URL)
    if not args.skip_routing:
        bench_routing(args.jobs, args.technicians, args.limit)
    if not args.skip_candidates:
        bench_candidates(args.candidates_among, args.runs)


if __name__ == "__main__":
    main()
