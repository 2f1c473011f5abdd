import express, { type RequestHandler } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { forPathsUnder, sequence } from '../../src/app/sequence.js';

function appWith(handlers: RequestHandler[]) {
  const app = express();
  app.use(sequence(handlers));
  app.get('/end', (_req, res) => void res.send('reached'));
  app.use(((err, _req, res, _next) => void res.status(500).send(`error: ${(err as Error).message}`)) as express.ErrorRequestHandler);
  return app;
}

describe('sequence', () => {
  it('runs its handlers in order and then the rest of the app', async () => {
    const seen: string[] = [];
    const app = appWith([
      (_req, _res, next) => {
        seen.push('a');
        next();
      },
      async (_req, _res, next) => {
        seen.push('b');
        next();
      },
    ]);
    expect((await request(app).get('/end')).text).toBe('reached');
    expect(seen).toEqual(['a', 'b']);
  });

  it('stops where a handler answers, and hands thrown, rejected and passed errors to the error handler', async () => {
    const answered = appWith([(_req, res) => void res.status(401).send('no'), () => expect.unreachable()]);
    expect((await request(answered).get('/end')).status).toBe(401);
    const thrown = appWith([
      () => {
        throw new Error('thrown');
      },
    ]);
    expect((await request(thrown).get('/end')).text).toBe('error: thrown');
    const rejected = appWith([
      async () => {
        throw new Error('rejected');
      },
    ]);
    expect((await request(rejected).get('/end')).text).toBe('error: rejected');
    const passed = appWith([(_req, _res, next) => next(new Error('passed'))]);
    expect((await request(passed).get('/end')).text).toBe('error: passed');
  });
});

describe('forPathsUnder', () => {
  it('enters the router only under its prefixes, in any case, and lets its routes decide', async () => {
    const router = express.Router();
    router.get('/healthz', (_req, res) => void res.send('ok'));
    const app = express();
    app.use(forPathsUnder(['/health'], router));
    app.use((_req, res) => void res.status(404).send('not found'));
    expect((await request(app).get('/HEALTHZ')).text).toBe('ok');
    expect((await request(app).get('/healthzz')).status).toBe(404);
    expect((await request(app).get('/other')).status).toBe(404);
  });
});
