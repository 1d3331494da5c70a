using Grpc.Core;
using Grpc.Core.Interceptors;
using GrpcSync.Domain;

namespace GrpcSync.Server.Errors;

/// <summary>
/// Turns a <see cref="DomainException"/> thrown anywhere below the API into the rich gRPC error, and a call
/// the client abandoned (its cancellation surfacing as a cancelled store operation or a broken stream) into a
/// plain CANCELLED: the client is gone, so it is not a server error worth an error log with a stack trace.
/// </summary>
public sealed class DomainErrorInterceptor : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception error) when (Translate(error, context) is { } translated)
        {
            throw translated;
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception error) when (Translate(error, context) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>The gRPC error to answer instead of <paramref name="error"/>, or null to let it through.</summary>
    private static RpcException? Translate(Exception error, ServerCallContext context) => error switch
    {
        DomainException domain => RpcErrors.From(domain),
        // A stream whose client left also fails its next write (InvalidOperationException: the request is complete).
        OperationCanceledException or IOException or InvalidOperationException when context.CancellationToken.IsCancellationRequested =>
            new RpcException(new Status(StatusCode.Cancelled, "The call was cancelled by the client.")),
        _ => null,
    };
}
