"""SQL the models cannot declare, run by migration 0001: the sequences behind people-facing numbers, the trigger
that keeps ConnectionEnd in step with Connection, and the edge view a trace walks (DOMAIN.md A.3 `FiberEdge`).

Frozen: migration 0001 imports these constants, so changing one rewrites history. A new version of the view is a
new constant (EDGE_VIEW_V2_SQL, `CREATE OR REPLACE VIEW`) run by a new migration."""

SEQUENCES = (
    "network_structure_number_seq",
    "network_pathway_number_seq",
    "network_cable_number_seq",
    "network_enclosure_number_seq",
    "network_servicepoint_number_seq",
    "network_spliceplan_number_seq",
)

# Each endpoint is in at most one connection: the endpoint is ConnectionEnd's primary key. The trigger writes the
# two rows with the connection, so no path in (ORM, admin, raw SQL) can skip them; a second connection of a taken
# endpoint fails with a unique violation of network_connectionend_pkey.
CONNECTION_ENDS_SQL = """
CREATE FUNCTION network_connection_ends() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.a_id = OLD.a_id AND NEW.b_id = OLD.b_id THEN
            RETURN NEW;
        END IF;
        DELETE FROM network_connectionend WHERE connection_id = OLD.id;
    END IF;
    INSERT INTO network_connectionend (endpoint_id, connection_id, side)
    VALUES (NEW.a_id, NEW.id, 'a'), (NEW.b_id, NEW.id, 'b');
    RETURN NEW;
END $$;
CREATE TRIGGER network_connection_ends AFTER INSERT OR UPDATE OF a_id, b_id ON network_connection
    FOR EACH ROW EXECUTE FUNCTION network_connection_ends();
"""
CONNECTION_ENDS_REVERSE = """
DROP TRIGGER IF EXISTS network_connection_ends ON network_connection;
DROP FUNCTION IF EXISTS network_connection_ends();
"""

# The optical graph as directed edges (src -> dst). A trace seeds an endpoint and repeatedly joins
# `network_edge.src_id = current`: each branch is served by a unique index (strand+side, connectionend pk and
# connection_side_unique, splitter+kind+port). Downstream walks direction IN ('both', 'down'), upstream
# IN ('both', 'up'), so upstream never reaches a splitter's sibling outputs. Loss of a hop at wavelength L:
# length_m / 1000 * attenuation_<L>_db_km + loss_db. `planned` marks plant not built yet (a trace may skip it).
EDGE_VIEW_SQL = """
CREATE VIEW network_edge AS
SELECT e1.id AS src_id, e2.id AS dst_id, 'strand'::text AS kind, e1.strand_id AS ref_id, 'both'::text AS direction,
       COALESCE(c.measured_length_m::float8, c.geo_length_m, 0) AS length_m,
       0::float8 AS loss_db,
       t.attenuation_1310_db_km::float8 AS attenuation_1310_db_km,
       t.attenuation_1490_db_km::float8 AS attenuation_1490_db_km,
       t.attenuation_1550_db_km::float8 AS attenuation_1550_db_km,
       c.status = 'planned' AS planned
FROM network_endpoint e1
JOIN network_endpoint e2 ON e2.strand_id = e1.strand_id AND e2.side <> e1.side
JOIN network_strand s ON s.id = e1.strand_id
JOIN network_cable c ON c.id = s.cable_id
JOIN network_cabletype t ON t.id = c.cable_type_id
WHERE e1.strand_id IS NOT NULL
UNION ALL
SELECT ce1.endpoint_id, ce2.endpoint_id, 'connection', ce1.connection_id, 'both',
       0, COALESCE(k.loss_db, k.calculated_loss_db)::float8, 0, 0, 0, k.status = 'planned'
FROM network_connectionend ce1
JOIN network_connectionend ce2 ON ce2.connection_id = ce1.connection_id AND ce2.side <> ce1.side
JOIN network_connection k ON k.id = ce1.connection_id
UNION ALL
SELECT i.id, o.id, 'splitter', i.splitter_id, 'down', 0, sp.insertion_loss_db::float8, 0, 0, 0,
       sp.status = 'planned'
FROM network_endpoint i
JOIN network_endpoint o ON o.splitter_id = i.splitter_id AND o.kind = 'splitter_out'
JOIN network_splitter sp ON sp.id = i.splitter_id
WHERE i.kind = 'splitter_in'
UNION ALL
SELECT o.id, i.id, 'splitter', o.splitter_id, 'up', 0, sp.insertion_loss_db::float8, 0, 0, 0,
       sp.status = 'planned'
FROM network_endpoint o
JOIN network_endpoint i ON i.splitter_id = o.splitter_id AND i.kind = 'splitter_in'
JOIN network_splitter sp ON sp.id = o.splitter_id
WHERE o.kind = 'splitter_out';
"""
EDGE_VIEW_REVERSE = "DROP VIEW IF EXISTS network_edge;"
