// server.js: a small Socket.IO signaling server like the seed's — clients join
// a room, the host's chat is emitted to everyone in it — for the fan-out
// comparison in tests/bench/signaling. Prints "listening PORT" when ready.
'use strict';
const http = require('node:http');
const { Server } = require('socket.io');

const server = http.createServer();
const io = new Server(server, { transports: ['websocket'], maxHttpBufferSize: 64 * 1024 });
const history = new Map();   // room → last 200 messages, as the relay keeps

io.on('connection', (socket) => {
  socket.on('join', ({ room, name, role }, ack) => {
    socket.data = { room, name, role };
    socket.join(room);
    socket.to(room).emit('participant-joined', { id: socket.id, name, role });
    if (ack) ack({ id: socket.id, history: history.get(room) || [] });
  });
  socket.on('chat', ({ text }) => {
    const { room, name, role } = socket.data || {};
    if (!room || typeof text !== 'string' || text.length > 2000) return;
    const message = { from: { id: socket.id, name, role }, text, at: new Date().toISOString() };
    const list = history.get(room) || [];
    list.push(message);
    if (list.length > 200) list.shift();
    history.set(room, list);
    io.to(room).emit('chat', message);
  });
});

server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log('listening ' + server.address().port);
});
