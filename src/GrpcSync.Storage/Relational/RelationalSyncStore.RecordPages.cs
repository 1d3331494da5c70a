using System.Data.Common;
using System.Globalization;
using GrpcSync.Domain;
using static GrpcSync.Storage.Relational.StoreCommands;

namespace GrpcSync.Storage.Relational;

/// <summary>A worker's page of records: fenced, matched by external id, reconciled, counted.</summary>
public abstract partial class RelationalSyncStore
{
    /// <inheritdoc />
    /// <remarks>
    /// <para>
    /// Fenced (nothing written) also when the Sync or the run no longer exists, or the run belongs to
    /// another Sync. The fence is checked under the Sync's row lock, which every run change also takes,
    /// so a run cannot be reclaimed or cancelled between the check and the writes.
    /// </para>
    /// <para>
    /// Records are matched by (Sync, external id) and keep the id they were created with. Counts:
    /// <see cref="RecordPageResult.Created"/> are records that became live (new, or a tombstone back),
    /// <see cref="RecordPageResult.Updated"/> live records with another fingerprint, and
    /// <see cref="RecordPageResult.Deleted"/> the new tombstones; so live after = live before + created − deleted.
    /// An external id repeated in one page is applied in page order (a second, different version is a
    /// second change). Tombstones keep their data and fingerprint; their synced_at is when the deletion
    /// was seen. Tombstones are made in their previous sequence order.
    /// </para>
    /// <para>
    /// The Sync's total_records (every record, tombstones included) and synced_records_count (live records)
    /// are recounted and record_sequence (<see cref="Sync.LatestRecordSequence"/>) written back; source_cursor
    /// is set when the page carries one. Its version and updated_at stay: the etag tracks the Sync's
    /// settings and state, not its record counts.
    /// </para>
    /// </remarks>
    public async Task<RecordPageResult> WriteRecordPageAsync(RecordPage page, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(page.Upserts);
        ArgumentNullException.ThrowIfNull(page.Deletions);
        foreach (var upsert in page.Upserts)
        {
            ArgumentNullException.ThrowIfNull(upsert);
        }

        using var turn = await EnterWriteKeepingClaimedRowsAsync(ct);
        ForgetClaimedRow(page.SyncId); // the page moves the Sync's record counts
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginWriteAsync(connection.Connection, ct);
        var syncId = IdParameter(page.SyncId);
        var runId = IdParameter(page.RunId);
        // Records are marked as seen by this run *attempt*: a reclaimed attempt must not count records
        // that only a crashed earlier attempt saw, or its reconcile would keep records the source lost.
        var seenMarker = SeenMarker(page.RunId, page.Attempt);
        var seenBy = IdParameter(seenMarker);

        // The Sync row first (the lock order of every writer), then the fence under it.
        var syncRow = await ReadAllAsync(Command(connection, tx,
            "SELECT record_sequence, pipeline, row_run_id, row_run_attempt FROM syncs WHERE id = @id" + LockClause,
            ("@id", syncId)), r => (Sequence: r.GetInt64(0), Pipeline: r.GetString(1),
                RowRun: r.IsDBNull(2) ? (Guid?)null : ReadId(r, 2), RowRunAttempt: r.IsDBNull(3) ? 0 : r.GetInt32(3)), ct);
        if (syncRow.Count == 0)
        {
            return Fenced;
        }
        var sequence = syncRow[0].Sequence;
        // A run kept on its Sync's row (RelationalSyncStore.RowRuns) is RUNNING under its attempt there.
        var runType = syncRow[0].RowRun == page.RunId
            ? (syncRow[0].RowRunAttempt == page.Attempt ? nameof(RunType.Incremental) : null)
            : await ScalarAsync(connection, tx,
                "SELECT run_type FROM sync_runs WHERE id = @run_id AND sync_id = @sync_id AND state = " + SqlLiterals.Running + " AND attempt = @attempt", ct,
                ("@run_id", runId), ("@sync_id", syncId), ("@attempt", page.Attempt));
        if (runType is null)
        {
            return Fenced; // disposal rolls back the (empty) transaction
        }
        // The INITIAL run's records are not announced one by one (clients pull them after sync_complete).
        var events = Convert.ToString(runType, CultureInfo.InvariantCulture) == nameof(RunType.Initial) ? null : new List<SyncEvent>();
        void Announce(string type, Guid recordId, string externalId) =>
            events?.Add(SyncEvents.RecordChanged(type, syncRow[0].Pipeline, recordId, externalId, page.Now));

        var stored = await ReadStoredRecordsAsync(connection, tx, page, ct);
        int created = 0, updated = 0;
        var seen = new List<Guid>();
        foreach (var upsert in page.Upserts)
        {
            if (!stored.TryGetValue(upsert.ExternalId, out var record))
            {
                await ExecuteAsync(connection, tx,
                    "INSERT INTO sync_records (sync_id, id, external_id, sequence, deleted, data_json, fingerprint, synced_at, last_seen_run_id) " +
                    "VALUES (@sync_id, @id, @external_id, @sequence, @deleted, @data_json, @fingerprint, @synced_at, @run_id)", ct,
                    ("@sync_id", syncId), ("@id", IdParameter(upsert.RecordId)), ("@external_id", upsert.ExternalId),
                    ("@sequence", ++sequence), ("@deleted", false), ("@data_json", upsert.DataJson),
                    ("@fingerprint", upsert.Fingerprint), ("@synced_at", Ms(page.Now)), ("@run_id", seenBy));
                created++;
                Announce(EventTypes.RecordCreated, upsert.RecordId, upsert.ExternalId);
                stored[upsert.ExternalId] = new StoredRecord(upsert.RecordId, upsert.Fingerprint, Deleted: false, SeenByRun: true);
            }
            else if (record.Deleted || !string.Equals(record.Fingerprint, upsert.Fingerprint, StringComparison.Ordinal))
            {
                await ExecuteAsync(connection, tx,
                    "UPDATE sync_records SET sequence = @sequence, deleted = @deleted, data_json = @data_json, " +
                    "fingerprint = @fingerprint, synced_at = @synced_at, last_seen_run_id = @run_id WHERE sync_id = @sync_id AND id = @id", ct,
                    ("@sequence", ++sequence), ("@deleted", false), ("@data_json", upsert.DataJson),
                    ("@fingerprint", upsert.Fingerprint), ("@synced_at", Ms(page.Now)), ("@run_id", seenBy),
                    ("@sync_id", syncId), ("@id", IdParameter(record.Id)));
                if (record.Deleted)
                {
                    created++;
                }
                else
                {
                    updated++;
                }
                Announce(record.Deleted ? EventTypes.RecordCreated : EventTypes.RecordUpdated, record.Id, upsert.ExternalId);
                stored[upsert.ExternalId] = record with { Fingerprint = upsert.Fingerprint, Deleted = false, SeenByRun = true };
            }
            else if (!record.SeenByRun)
            {
                seen.Add(record.Id); // unchanged: only marked as seen by this run, below
                stored[upsert.ExternalId] = record with { SeenByRun = true };
            }
        }
        foreach (var chunk in seen.Chunk(InListChunk))
        {
            var mark = OneOffCommand(connection, tx,
                $"UPDATE sync_records SET last_seen_run_id = @run_id WHERE sync_id = @sync_id AND id IN ({InList("@r", chunk.Length)})",
                ("@run_id", seenBy), ("@sync_id", syncId));
            for (var i = 0; i < chunk.Length; i++)
            {
                AddParameter(mark, "@r" + i.ToString(CultureInfo.InvariantCulture), IdParameter(chunk[i]));
            }
            await mark.ExecuteNonQueryAsync(ct);
        }

        var deleted = 0;
        foreach (var externalId in page.Deletions.Distinct(StringComparer.Ordinal))
        {
            if (!stored.TryGetValue(externalId, out var record) || record.Deleted)
            {
                continue;
            }
            Announce(EventTypes.RecordDeleted, record.Id, externalId);
            await ExecuteAsync(connection, tx,
                "UPDATE sync_records SET sequence = @sequence, deleted = @deleted, synced_at = @synced_at " +
                "WHERE sync_id = @sync_id AND id = @id", ct,
                ("@sequence", ++sequence), ("@deleted", true), ("@synced_at", Ms(page.Now)),
                ("@sync_id", syncId), ("@id", IdParameter(record.Id)));
            stored[externalId] = record with { Deleted = true };
            deleted++;
        }
        if (page.ReconcileUnseen)
        {
            IReadOnlyList<(Guid Id, string ExternalId)> unseen;
            {
                var select = Command(connection, tx,
                    "SELECT id, external_id FROM sync_records WHERE sync_id = @sync_id AND NOT deleted " +
                    "AND (last_seen_run_id IS NULL OR last_seen_run_id <> @run_id) ORDER BY sequence",
                    ("@sync_id", syncId), ("@run_id", seenBy));
                unseen = await ReadAllAsync(select, r => (ReadId(r, 0), r.GetString(1)), ct);
            }
            foreach (var (id, externalId) in unseen)
            {
                Announce(EventTypes.RecordDeleted, id, externalId);
                await ExecuteAsync(connection, tx,
                    "UPDATE sync_records SET sequence = @sequence, deleted = @deleted, synced_at = @synced_at " +
                    "WHERE sync_id = @sync_id AND id = @id", ct,
                    ("@sequence", ++sequence), ("@deleted", true), ("@synced_at", Ms(page.Now)),
                    ("@sync_id", syncId), ("@id", IdParameter(id)));
            }
            deleted += unseen.Count;
        }

        await UpdateRecordSummaryAsync(connection, tx, page, sequence, ct);
        if (events is { Count: > 0 })
        {
            await AppendEventsAsync(connection, tx, page.SyncId, events, ct);
        }
        await CommitAsync(connection, tx);
        return new RecordPageResult(false, created, updated, deleted);
    }

    private static readonly RecordPageResult Fenced = new(true, 0, 0, 0);

    /// <inheritdoc />
    /// <remarks>No transaction: a record changed between this read and the page write is compared again there.</remarks>
    public async Task<IReadOnlyDictionary<string, string>> ReadLiveFingerprintsAsync(Guid syncId, IReadOnlyCollection<string> externalIds,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(externalIds);
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        if (externalIds.Count == 0)
        {
            return found;
        }
        await using var connection = await OpenConnectionAsync(ct);
        foreach (var chunk in externalIds.Distinct(StringComparer.Ordinal).Chunk(InListChunk))
        {
            var select = OneOffCommand(connection, null,
                "SELECT external_id, fingerprint FROM sync_records " +
                $"WHERE sync_id = @sync_id AND NOT deleted AND external_id IN ({InList("@e", chunk.Length)})",
                ("@sync_id", IdParameter(syncId)));
            for (var i = 0; i < chunk.Length; i++)
            {
                AddParameter(select, "@e" + i.ToString(CultureInfo.InvariantCulture), chunk[i]);
            }
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                found[reader.GetString(0)] = reader.GetString(1);
            }
        }
        return found;
    }

    /// <summary>A stored record as a page write needs it: matched by external id.</summary>
    private sealed record StoredRecord(Guid Id, string Fingerprint, bool Deleted, bool SeenByRun);

    /// <summary>The stored records of the page's external ids, read in one query per <see cref="InListChunk"/> ids.</summary>
    private async Task<Dictionary<string, StoredRecord>> ReadStoredRecordsAsync(StoreConnection connection, DbTransaction tx,
        RecordPage page, CancellationToken ct)
    {
        // Both databases compare text byte for byte here (SQLite BINARY; PostgreSQL's deterministic collations).
        var stored = new Dictionary<string, StoredRecord>(StringComparer.Ordinal);
        var externalIds = page.Upserts.Select(u => u.ExternalId).Concat(page.Deletions).Distinct(StringComparer.Ordinal).ToArray();
        foreach (var chunk in externalIds.Chunk(InListChunk))
        {
            var select = OneOffCommand(connection, tx,
                "SELECT id, external_id, fingerprint, deleted, last_seen_run_id FROM sync_records " +
                $"WHERE sync_id = @sync_id AND external_id IN ({InList("@e", chunk.Length)})",
                ("@sync_id", IdParameter(page.SyncId)));
            for (var i = 0; i < chunk.Length; i++)
            {
                AddParameter(select, "@e" + i.ToString(CultureInfo.InvariantCulture), chunk[i]);
            }
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var seenBy = reader.IsDBNull(4) ? (Guid?)null : ReadId(reader, 4);
                stored[reader.GetString(1)] = new StoredRecord(ReadId(reader, 0), reader.GetString(2), reader.GetBoolean(3),
                    SeenByRun: seenBy == SeenMarker(page.RunId, page.Attempt));
            }
        }
        return stored;
    }

    /// <summary>Writes the record counter back and recounts the Sync's record summary (version untouched).</summary>
    private async Task UpdateRecordSummaryAsync(StoreConnection connection, DbTransaction tx, RecordPage page, long sequence,
        CancellationToken ct)
    {
        long total, live;
        var count = Command(connection, tx,
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN deleted THEN 0 ELSE 1 END), 0) " +
            "FROM sync_records WHERE sync_id = @sync_id",
            ("@sync_id", IdParameter(page.SyncId)));
        await using (var reader = await count.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            total = reader.GetInt64(0);
            live = reader.GetInt64(1);
        }
        var update = Command(connection, tx,
            "UPDATE syncs SET record_sequence = @record_sequence, total_records = @total_records, " +
            "synced_records_count = @synced_records_count" +
            (page.SourceCursor is null ? "" : ", source_cursor = @source_cursor") +
            " WHERE id = @id",
            ("@record_sequence", sequence), ("@total_records", total), ("@synced_records_count", live),
            ("@id", IdParameter(page.SyncId)));
        if (page.SourceCursor is { } sourceCursor)
        {
            AddParameter(update, "@source_cursor", sourceCursor);
        }
        await update.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The value stored in <c>last_seen_run_id</c>: one id per (run, attempt).</summary>
    private static Guid SeenMarker(Guid runId, int attempt) =>
        NameBasedGuid.Create(runId, attempt.ToString(CultureInfo.InvariantCulture));
}
