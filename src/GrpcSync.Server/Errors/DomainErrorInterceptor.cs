using Grpc.Core;
using Grpc.Core.Interceptors;
using GrpcSync.Domain;

namespace GrpcSync.Server.Errors;

/// <summary>Turns a <see cref="DomainException"/> thrown anywhere below the API into the rich gRPC error.</summary>
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
    }
}
