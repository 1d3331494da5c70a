namespace GrpcSync.Domain;

/// <summary>The kinds of failure the domain reports; the API maps each to one gRPC status code.</summary>
public enum ErrorKind { InvalidArgument, NotFound, AlreadyExists, FailedPrecondition, Aborted, Unavailable, OutOfRange }
