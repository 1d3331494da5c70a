namespace GrpcSync.Storage.Relational;

/// <summary>
/// One versioned schema change. Applied once, in its own transaction, and recorded in
/// <c>schema_migrations(version, applied_at)</c>. Never edit a migration that has shipped: add one.
/// </summary>
internal sealed record Migration(int Version, string Name, string Sql);
