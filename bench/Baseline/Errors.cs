using GrpcSync.Domain;

namespace GrpcSync.Bench.Baseline;

/// <summary>Error answers in the google.rpc.Status JSON form ({"code","message"}) with the mapped HTTP status.</summary>
public static class Errors
{
    public static IResult Status(int httpStatus, int code, string message) =>
        Results.Json(new ErrorJson(code, message), BaselineJson.Default.ErrorJson, statusCode: httpStatus);

    public static IResult Unauthenticated() => Status(401, 16, "The bearer token is missing or invalid.");

    public static IResult Invalid(string field, string message) => Status(400, 3, message);

    public static IResult NotFound(string message) => Status(404, 5, message);

    public static IResult FromDomain(DomainException error) => error.Kind switch
    {
        ErrorKind.InvalidArgument => Status(400, 3, error.Message),
        ErrorKind.NotFound => Status(404, 5, error.Message),
        ErrorKind.AlreadyExists => Status(409, 6, error.Message),
        ErrorKind.FailedPrecondition => Status(400, 9, error.Message),
        ErrorKind.Aborted => Status(409, 10, error.Message),
        _ => Status(503, 14, error.Message),
    };
}
