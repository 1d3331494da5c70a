namespace GrpcSync.Storage.Relational;

/// <summary>
/// The rows of the Syncs the dispatcher claimed, as committed, so that the finish batch decides on them without reading
/// them back. Only where one process writes the database and every write takes this store's write turn (SQLite,
/// <see cref="KeepsClaimedRows"/>): a write of one Sync forgets its row, a write that may touch any Sync forgets them
/// all (<see cref="EnterWriteAsync"/>, <see cref="EnterWriteKeepingClaimedRowsAsync"/>), so an entry is always the row as stored. The finish's UPDATE still guards on the version it read, so a row changed behind
/// the store's back fails the batch (and the finish writer writes its runs one by one, from the rows as stored).
/// </summary>
public abstract partial class RelationalSyncStore
{
    /// <summary>True where <see cref="ClaimedRows"/> may be kept: one writer process, every write under the write turn.</summary>
    private protected virtual bool KeepsClaimedRows => false;

    private readonly ClaimedRows _claimedRows = new();

    /// <summary>
    /// A write turn that may change any Sync's row or runs, so the claimed rows kept are forgotten once the turn is taken
    /// (credential deletes, retention, migrations, …). Not an async method, like <see cref="TakeWriteTurnAsync"/>.
    /// </summary>
    private protected ValueTask<IDisposable?> EnterWriteAsync(CancellationToken ct)
    {
        var turn = TakeWriteTurnAsync(ct);
        return KeepsClaimedRows ? ForgetClaimedRowsOnceTakenAsync(turn) : turn;
    }

    /// <summary>
    /// A write turn that keeps the claimed rows: for the dispatcher's claim and the finish batch (which keep them true),
    /// writes that change no Sync row nor run (webhooks, events, new Syncs) and writes of one Sync that forget its row
    /// (<see cref="ForgetClaimedRow"/>: API mutations, record pages, lease renewals).
    /// </summary>
    private ValueTask<IDisposable?> EnterWriteKeepingClaimedRowsAsync(CancellationToken ct) => TakeWriteTurnAsync(ct);

    /// <summary>Under the write turn: <paramref name="syncId"/>'s row is about to change, so it is no longer kept.</summary>
    private void ForgetClaimedRow(Guid syncId) => KeptClaimedRows?.Forget(syncId);

    private async ValueTask<IDisposable?> ForgetClaimedRowsOnceTakenAsync(ValueTask<IDisposable?> turn)
    {
        var taken = await turn;
        _claimedRows.Clear();
        return taken;
    }

    /// <summary>The rows kept, or null where this store keeps none.</summary>
    private ClaimedRows? KeptClaimedRows => KeepsClaimedRows ? _claimedRows : null;

    /// <summary>How many claimed rows are kept. For tests.</summary>
    internal int ClaimedRowsKept => _claimedRows.Count;

    /// <summary>The kept rows that differ from the rows as stored, or whose Sync has runs in sync_runs (none, unless the store is wrong). For tests.</summary>
    internal async Task<IReadOnlyList<Guid>> ClaimedRowsUnlikeStoredAsync()
    {
        using var turn = await EnterWriteKeepingClaimedRowsAsync(CancellationToken.None);
        await using var connection = await OpenConnectionAsync(CancellationToken.None);
        await using var tx = await BeginReadAsync(connection.Connection, CancellationToken.None);
        var unlike = new List<Guid>();
        foreach (var (id, kept) in _claimedRows.Rows)
        {
            var stored = await ReadSyncAsync(connection, tx, id, scope: null, lockRow: false, CancellationToken.None);
            var snapshot = stored is null ? null : await ReadSnapshotAsync(connection, tx, stored, CancellationToken.None);
            if (stored != kept || snapshot is null || snapshot.OpenRuns.Count != 1 || snapshot.OpenRuns[0] != kept.Row.Run)
            {
                unlike.Add(id);
            }
        }
        return unlike;
    }

    /// <summary>
    /// <paramref name="row"/> as reading it back would give it: times in whole milliseconds (what the columns keep), the
    /// row's run from its columns alone.
    /// </summary>
    private static StoredSync AsStored(StoredSync row)
    {
        var sync = row.Sync with
        {
            RateLimitedUntil = Stored(row.Sync.RateLimitedUntil),
            NextRunAt = Stored(row.Sync.NextRunAt),
            LastRunStartedAt = Stored(row.Sync.LastRunStartedAt),
            LastSyncedAt = Stored(row.Sync.LastSyncedAt),
            LastFullSyncAt = Stored(row.Sync.LastFullSyncAt),
            CreatedAt = Stored(row.Sync.CreatedAt),
            UpdatedAt = Stored(row.Sync.UpdatedAt),
        };
        var run = row.Row.Run is { } r
            ? RowRun(r.Id, sync.Id, Stored(r.CreatedAt), Stored(r.DueAt), Stored(r.StartedAt), r.Attempt, r.LeaseOwner, Stored(r.LeaseExpiresAt))
            : null;
        var streak = row.Row.Streak is { } s
            ? s with { LastStartedAt = Stored(s.LastStartedAt), FinishedAt = Stored(s.FinishedAt) }
            : null;
        return new StoredSync(sync, new RowState(run, streak));
    }

    private static DateTimeOffset Stored(DateTimeOffset value) => DateTimeOffset.FromUnixTimeMilliseconds(Ms(value));

    private static DateTimeOffset? Stored(DateTimeOffset? value) => value is { } v ? Stored(v) : null;

    /// <summary>
    /// Sync rows by id, touched only under the write turn. Changes of a transaction are staged and take effect at its
    /// commit (<see cref="Commit"/>), so a rolled-back transaction leaves the rows as they were, like the database.
    /// </summary>
    private sealed class ClaimedRows
    {
        /// <summary>More than a few rounds of claims: entries whose finish never came (a worker gone) are not kept forever.</summary>
        private const int MaxRows = 65_536;

        private readonly Dictionary<Guid, StoredSync> _rows = [];
        private readonly List<(Guid Id, StoredSync? Row)> _staged = [];

        public int Count => _rows.Count;

        public IEnumerable<KeyValuePair<Guid, StoredSync>> Rows => _rows;

        public bool TryGet(Guid syncId, out StoredSync row) => _rows.TryGetValue(syncId, out row!);

        public void Forget(Guid syncId) => _rows.Remove(syncId);

        /// <summary>After the commit, <paramref name="syncId"/>'s row is <paramref name="row"/> (null: not kept).</summary>
        public void Stage(Guid syncId, StoredSync? row) => _staged.Add((syncId, row));

        public void Commit()
        {
            if (_rows.Count + _staged.Count > MaxRows)
            {
                _rows.Clear();
            }
            foreach (var (id, row) in _staged)
            {
                if (row is null)
                {
                    _rows.Remove(id);
                }
                else
                {
                    _rows[id] = row;
                }
            }
            _staged.Clear();
        }

        /// <summary>The transaction did not commit (or may not have): forget everything, staged or kept.</summary>
        public void Clear()
        {
            _rows.Clear();
            _staged.Clear();
        }
    }
}
