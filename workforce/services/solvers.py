"""The vehicle-routing problem with time windows and skills, and its solvers behind one adapter (DOMAIN.md C.4.4).

Plain data in seconds from a base moment, no Django: `Problem` (jobs with their allowed vehicles, vehicles =
technician-shifts, a travel matrix) -> `Plan` (routes of stops, unassigned jobs, total travel). `VroomSolver`
(pyvroom, pinned in requirements.txt) and `GreedySolver` (cheapest feasible insertion, the baseline)."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field


@dataclass
class Job:
    id: int
    location: int  # row of the matrix
    service: int  # seconds
    window: tuple[int, int]  # when service may begin
    vehicles: frozenset[int]  # the vehicles allowed (the hard rules' candidates)
    priority: int = 0  # 0-100


@dataclass
class Vehicle:
    id: int
    start: int  # row of the matrix (home base)
    end: int
    window: tuple[int, int]  # the shift
    max_tasks: int = 8


@dataclass
class Problem:
    jobs: list[Job]
    vehicles: list[Vehicle]
    matrix: list[list[int]]  # seconds


@dataclass
class Stop:
    job: int
    start: int  # service start
    travel: int  # seconds from the stop before


@dataclass
class Plan:
    routes: dict[int, list[Stop]] = field(default_factory=dict)
    unassigned: list[int] = field(default_factory=list)
    travel: int = 0  # seconds, returns home included
    seconds: float = 0.0  # solve time

    @property
    def assigned(self) -> int:
        return sum(len(stops) for stops in self.routes.values())


def route_travel(problem: Problem, vehicle: Vehicle, stops: list[Stop]) -> int:
    if not stops:
        return 0
    jobs = {j.id: j for j in problem.jobs}
    m = problem.matrix
    path = [vehicle.start, *(jobs[s.job].location for s in stops), vehicle.end]
    return sum(m[a][b] for a, b in zip(path, path[1:], strict=False))


class VroomSolver:
    """VROOM through pyvroom: skills, time windows and priorities are native. Allowed vehicles become skills:
    each distinct set of allowed vehicles is one skill its vehicles have."""

    name = "vroom"

    # Level 3 on 4 threads: bench/dispatch.py's 200 jobs x 20 technicians within 1% of level 5 given ten times
    # the time, in under 5 s on a shared 2-core machine (level 5 does not converge in 5 s there).
    def __init__(self, exploration_level: int = 3, threads: int = 4):
        self.exploration_level = exploration_level
        self.threads = threads

    @staticmethod
    def prepare() -> None:
        """Imports pyvroom (numpy, pandas): not at module level, so web processes do not pay for it."""
        import vroom  # noqa: F401

    def solve(self, problem: Problem, time_limit_s: float) -> Plan:
        import vroom
        from vroom.solution.solution import Solution

        began = time.perf_counter()
        if not problem.jobs or not problem.vehicles:
            return Plan(unassigned=[j.id for j in problem.jobs], seconds=time.perf_counter() - began)
        classes: dict[frozenset, int] = {}
        vehicle_skills: dict[int, set[int]] = {v.id: set() for v in problem.vehicles}
        for job in problem.jobs:
            if job.vehicles not in classes:
                classes[job.vehicles] = len(classes) + 1
                for vid in job.vehicles:
                    if vid in vehicle_skills:
                        vehicle_skills[vid].add(classes[job.vehicles])
        data = vroom.Input()
        data.set_durations_matrix(profile="car", matrix_input=problem.matrix)
        data.add_vehicle(
            [
                vroom.Vehicle(
                    v.id,
                    start=v.start,
                    end=v.end,
                    skills=vehicle_skills[v.id],
                    time_window=vroom.TimeWindow(*v.window),
                    max_tasks=v.max_tasks,
                )
                for v in problem.vehicles
            ]
        )
        data.add_job(
            [
                vroom.Job(
                    j.id,
                    location=j.location,
                    default_service=j.service,
                    skills={classes[j.vehicles]},
                    priority=j.priority,
                    time_windows=[vroom.TimeWindow(*j.window)],
                )
                for j in problem.jobs
            ]
        )
        # pyvroom 1.15's Input.solve() asserts isinstance(timeout, (None, timedelta)), which raises for any
        # timeout given; its own _solve takes the timedelta as documented.
        timeout = dt.timedelta(seconds=max(time_limit_s, 0.05))
        solution = Solution(
            data._solve(exploration_level=self.exploration_level, nb_threads=self.threads, timeout=timeout)
        )
        plan = Plan()
        routes = solution.routes
        previous: dict[int, int] = {}
        for row in routes.itertuples(index=False):
            vid = int(row.vehicle_id)
            if row.type == "start":
                previous[vid] = int(row.duration)
                plan.routes.setdefault(vid, [])
            elif row.type == "job":
                travel = int(row.duration) - previous[vid]
                previous[vid] = int(row.duration)
                plan.routes[vid].append(Stop(int(row.id), int(row.arrival) + int(row.waiting_time), travel))
            elif row.type == "end":
                plan.travel += int(row.duration)
        plan.routes = {vid: stops for vid, stops in plan.routes.items() if stops}
        done = {s.job for stops in plan.routes.values() for s in stops}
        plan.unassigned = [j.id for j in problem.jobs if j.id not in done]
        plan.seconds = time.perf_counter() - began
        return plan


class GreedySolver:
    """Cheapest feasible insertion: jobs by priority then window end, each into the position (of any allowed
    vehicle) that adds the least travel while every stop stays in its window and the route in its shift."""

    name = "greedy"

    @staticmethod
    def prepare() -> None:
        pass

    def solve(self, problem: Problem, time_limit_s: float) -> Plan:
        began = time.perf_counter()
        m = problem.matrix
        jobs = {j.id: j for j in problem.jobs}
        vehicles = {v.id: v for v in problem.vehicles}
        routes: dict[int, list[int]] = {v.id: [] for v in problem.vehicles}

        def schedule(vehicle: Vehicle, order: list[int]) -> list[Stop] | None:
            t, place, stops = vehicle.window[0], vehicle.start, []
            for job_id in order:
                job = jobs[job_id]
                leg = m[place][job.location]
                t = max(t + leg, job.window[0])
                if t > job.window[1]:
                    return None
                stops.append(Stop(job_id, t, leg))
                t += job.service
                place = job.location
            if t + m[place][vehicle.end] > vehicle.window[1]:
                return None
            return stops

        def cost(vehicle: Vehicle, order: list[int]) -> int:
            path = [vehicle.start, *(jobs[j].location for j in order), vehicle.end] if order else []
            return sum(m[a][b] for a, b in zip(path, path[1:], strict=False))

        unassigned = []
        ordered = sorted(problem.jobs, key=lambda j: (-j.priority, j.window[1], j.id))
        for job in ordered:
            if time.perf_counter() - began > time_limit_s:
                unassigned.append(job.id)
                continue
            best = None
            for vid in job.vehicles:
                vehicle = vehicles.get(vid)
                if vehicle is None or len(routes[vid]) >= vehicle.max_tasks:
                    continue
                base = cost(vehicle, routes[vid])
                for pos in range(len(routes[vid]) + 1):
                    order = [*routes[vid][:pos], job.id, *routes[vid][pos:]]
                    if schedule(vehicle, order) is None:
                        continue
                    delta = cost(vehicle, order) - base
                    if best is None or delta < best[0]:
                        best = (delta, vid, order)
            if best is None:
                unassigned.append(job.id)
            else:
                routes[best[1]] = best[2]
        plan = Plan(unassigned=unassigned)
        for vid, order in routes.items():
            if order:
                plan.routes[vid] = schedule(vehicles[vid], order)
                plan.travel += cost(vehicles[vid], order)
        plan.seconds = time.perf_counter() - began
        return plan


SOLVERS = {"vroom": VroomSolver, "greedy": GreedySolver}


def solver_for(name: str):
    return SOLVERS[name]()
