namespace GrpcSync.Domain;

/// <summary>One bad field of a request (becomes a <c>google.rpc.BadRequest.FieldViolation</c>).</summary>
public sealed record FieldViolation(string Field, string Description);
