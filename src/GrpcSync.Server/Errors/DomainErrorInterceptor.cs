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
        catch (DomainException error)
        {
            throw RpcErrors.From(error);
        }
        catch (Exception error) when (context.CancellationToken.IsCancellationRequested
                                      && error is OperationCanceledException or IOException)
        {
            throw new RpcException(new Status(StatusCode.Cancelled, "The call was cancelled by the client."));
        }
    }
}
